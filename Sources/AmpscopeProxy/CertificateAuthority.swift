import AmpscopeCore
import AmpscopeStore
import Crypto
import Foundation
import NIOSSL
import SwiftASN1
import X509

/// ampscope's own certificate authority: one per user, created on first use in the data
/// directory (`<data>/ca/`), its private key readable by the user only (0600, directory 0700).
/// It signs a certificate per host (cached in memory; the leaf key is never written anywhere)
/// for HTTPS interception and for the `--tls` listener. See Docs/capture.md and DECISIONS.md.
public final class CertificateAuthority: Sendable {
    public static let certificateFileName = "ampscope-ca.pem"
    public static let keyFileName = "ampscope-ca-key.pem"
    /// Leaf validity: one day back (clock skew) and 180 days ahead, 181 days in all, below
    /// Chrome's 200-day rule and Apple's 398/825-day rules (Docs/facts/capture-anywhere.md §1).
    public static let leafBackdate: TimeInterval = 86_400
    public static let leafLifetime: TimeInterval = 180 * 86_400
    /// Generated leaves kept in memory (oldest dropped first beyond this).
    public static let cacheCapacity = 1000

    public let directory: String
    public let certificate: Certificate
    public let certificatePEM: String
    let privateKey: Certificate.PrivateKey
    let subjectKeyID: ArraySlice<UInt8>
    /// The key every leaf carries (in memory only, new each run, never written).
    let leafPublicKey: Certificate.PublicKey
    let leafPublicKeyDER: [UInt8]
    let nioLeafKey: NIOSSLPrivateKey
    let nioCA: NIOSSLCertificate
    private let cache = Guarded<LeafCache>(LeafCache())

    public var certificatePath: String { directory + "/" + Self.certificateFileName }
    public var keyPath: String { directory + "/" + Self.keyFileName }

    /// `<data directory>/ca` (XDG_DATA_HOME or ~/.local/share/ampscope), or AMPSCOPE_CA_DIR.
    public static func defaultDirectory(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let d = environment["AMPSCOPE_CA_DIR"], !d.isEmpty { return d }
        return StorePaths.dataDirectory(environment: environment) + "/ca"
    }

    public enum CAError: Error, CustomStringConvertible {
        case io(String)
        case invalid(String)
        public var description: String {
            switch self {
            case .io(let s), .invalid(let s): return s
            }
        }
    }

    /// Loads the CA in `directory`, creating it when there is none. `created` tells which.
    public static func loadOrCreate(directory: String, now: Date = Date()) throws -> (ca: CertificateAuthority, created: Bool) {
        let certPath = directory + "/" + certificateFileName
        let keyPath = directory + "/" + keyFileName
        let fm = FileManager.default
        if fm.fileExists(atPath: certPath) || fm.fileExists(atPath: keyPath) {
            return (try load(directory: directory), false)
        }
        return (try create(directory: directory, now: now), true)
    }

    /// Loads an existing CA (both files must be there; a key readable by others is refused).
    public static func load(directory: String) throws -> CertificateAuthority {
        let certPath = directory + "/" + certificateFileName
        let keyPath = directory + "/" + keyFileName
        guard let certText = try? String(contentsOfFile: certPath, encoding: .utf8) else {
            throw CAError.io("cannot read the CA certificate \(certPath) (delete the directory \(directory) to make a new CA)")
        }
        guard let keyText = try? String(contentsOfFile: keyPath, encoding: .utf8) else {
            throw CAError.io("cannot read the CA key \(keyPath) (delete the directory \(directory) to make a new CA)")
        }
        var st = stat()
        if stat(keyPath, &st) == 0, st.st_mode & 0o077 != 0 {
            throw CAError.invalid("the CA key \(keyPath) is readable by other users (mode \(String(st.st_mode & 0o777, radix: 8))); run `chmod 600 \(keyPath)`, or delete \(directory) and distrust the old CA")
        }
        do {
            let cert = try Certificate(pemEncoded: certText)
            let key = try P256.Signing.PrivateKey(pemRepresentation: keyText)
            guard Certificate.PublicKey(key.publicKey) == cert.publicKey else {
                throw CAError.invalid("the CA key \(keyPath) does not belong to the certificate \(certPath)")
            }
            return try CertificateAuthority(directory: directory, certificate: cert, key: key)
        } catch let e as CAError {
            throw e
        } catch {
            throw CAError.invalid("the CA in \(directory) cannot be read: \(error)")
        }
    }

    static func create(directory: String, now: Date) throws -> CertificateAuthority {
        try makeDirectory(directory)
        let key = P256.Signing.PrivateKey()
        let publicKey = Certificate.PublicKey(key.publicKey)
        let user = ProcessInfo.processInfo.environment["USER"].flatMap { $0.isEmpty ? nil : $0 } ?? "user"
        let host = ProcessInfo.processInfo.hostName
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyy-MM-dd"
        let commonName = String("ampscope CA \(user)@\(host) \(f.string(from: now))".prefix(64))
        let name = try DistinguishedName {
            OrganizationName("ampscope (local debugging CA, not shared)")
            CommonName(commonName)
        }
        let ski = SubjectKeyIdentifier(hash: publicKey)
        let cert = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: publicKey,
            notValidBefore: now.addingTimeInterval(-2 * 86_400), notValidAfter: now.addingTimeInterval(10 * 365 * 86_400),
            issuer: name, subject: name, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                Critical(KeyUsage(keyCertSign: true, cRLSign: true))
                ski
            },
            issuerPrivateKey: Certificate.PrivateKey(key))
        let certPEM = try cert.serializeAsPEM().pemString + "\n"
        let certPath = directory + "/" + certificateFileName
        let keyPath = directory + "/" + keyFileName
        // The key first, created 0600 (O_EXCL: never through an existing file or link).
        try writeNew(keyPath, Array((key.pemRepresentation + "\n").utf8), mode: 0o600)
        do {
            try writeNew(certPath, Array(certPEM.utf8), mode: 0o644)
        } catch {
            unlink(keyPath)
            throw error
        }
        return try CertificateAuthority(directory: directory, certificate: cert, key: key)
    }

    static func makeDirectory(_ path: String) throws {
        var isDir: ObjCBool = false
        if !FileManager.default.fileExists(atPath: path, isDirectory: &isDir) {
            do {
                try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true,
                                                        attributes: [.posixPermissions: 0o700])
            } catch {
                throw CAError.io("cannot create the CA directory \(path): \(error.localizedDescription)")
            }
        } else if !isDir.boolValue {
            throw CAError.io("\(path) is not a directory")
        }
        chmod(path, 0o700)
    }

    static func writeNew(_ path: String, _ bytes: [UInt8], mode: mode_t) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard fd >= 0 else { throw CAError.io("cannot create \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        fchmod(fd, mode)
        var off = 0
        while off < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + off, bytes.count - off) }
            guard n > 0 else { throw CAError.io("cannot write \(path): \(String(cString: strerror(errno)))") }
            off += n
        }
        guard fsync(fd) == 0 else { throw CAError.io("cannot write \(path): \(String(cString: strerror(errno)))") }
    }

    init(directory: String, certificate: Certificate, key: P256.Signing.PrivateKey) throws {
        self.directory = directory
        self.certificate = certificate
        certificatePEM = try certificate.serializeAsPEM().pemString + "\n"
        privateKey = Certificate.PrivateKey(key)
        guard let skiExt = try certificate.extensions.subjectKeyIdentifier else {
            throw CAError.invalid("the CA certificate in \(directory) has no subject key identifier")
        }
        subjectKeyID = skiExt.keyIdentifier
        let leafKey = P256.Signing.PrivateKey()
        leafPublicKey = Certificate.PublicKey(leafKey.publicKey)
        leafPublicKeyDER = Array(leafKey.publicKey.derRepresentation)
        nioLeafKey = try NIOSSLPrivateKey(bytes: Array(leafKey.pemRepresentation.utf8), format: .pem)
        nioCA = try NIOSSLCertificate(bytes: Array(certificatePEM.utf8), format: .pem)
    }

    // MARK: What `ampscope ca` shows

    public var derBytes: [UInt8] {
        var s = DER.Serializer()
        try? s.serialize(certificate)
        return s.serializedBytes
    }

    /// SHA-256 of the DER certificate, `AB:CD:…` (what browsers and `openssl x509 -fingerprint -sha256` show).
    public var sha256Fingerprint: String {
        SHA256.hash(data: derBytes).map { String(format: "%02X", $0) }.joined(separator: ":")
    }

    public var subject: String { certificate.subject.description }
    public var notValidAfter: Date { certificate.notValidAfter }

    /// base64(SHA-256(SubjectPublicKeyInfo)) of the leaf key: Chrome's `--ignore-certificate-errors-spki-list`.
    public var leafSPKIHash: String {
        Data(SHA256.hash(data: leafPublicKeyDER)).base64EncodedString()
    }

    // MARK: Leaf certificates

    /// A server certificate for `host` (a DNS name or an IP address), signed by this CA,
    /// ready for NIOSSL: `[leaf, CA]` and the leaf key. Cached per host.
    public func leaf(for host: String, now: Date = Date()) throws -> Leaf {
        let key = Self.normalize(host)
        if let hit = cache.withLock({ $0.get(key) }), hit.notValidAfter.timeIntervalSince(now) > 86_400 {
            return hit
        }
        let made = try makeLeaf(names: [key], now: now)
        cache.withLock { $0.put(key, made, capacity: Self.cacheCapacity) }
        return made
    }

    /// A certificate for several names at once (the `--tls` listener: localhost, 127.0.0.1, ::1, the host's names).
    public func leaf(names: [String], now: Date = Date()) throws -> Leaf {
        try makeLeaf(names: names.map(Self.normalize), now: now)
    }

    static func normalize(_ host: String) -> String {
        var h = host.asciiLowercased
        if h.hasPrefix("[") && h.hasSuffix("]") { h = String(h.dropFirst().dropLast()) }
        while h.hasSuffix(".") { h.removeLast() }
        return h
    }

    public struct Leaf: Sendable {
        public let certificate: Certificate
        public let pem: String
        public let chain: [NIOSSLCertificate]
        public let key: NIOSSLPrivateKey
        public var notValidAfter: Date { certificate.notValidAfter }
    }

    func makeLeaf(names: [String], now: Date) throws -> Leaf {
        guard let first = names.first, !first.isEmpty else { throw CAError.invalid("a certificate needs a host name") }
        var sans: [GeneralName] = []
        for n in names {
            if let ip = IPAddressBytes.parse(n) {
                sans.append(.ipAddress(ASN1OctetString(contentBytes: ip[...])))
            } else {
                sans.append(.dnsName(n))
            }
        }
        let subject = try DistinguishedName {
            OrganizationName("ampscope")
            if first.utf8.count < 64 { CommonName(first) }
        }
        let cert = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: leafPublicKey,
            notValidBefore: now.addingTimeInterval(-Self.leafBackdate), notValidAfter: now.addingTimeInterval(Self.leafLifetime),
            issuer: certificate.subject, subject: subject, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                // ECDSA keys sign the handshake: digitalSignature is the usage TLS needs (keyEncipherment is RSA's).
                Critical(KeyUsage(digitalSignature: true))
                try ExtendedKeyUsage([.serverAuth])
                SubjectAlternativeNames(sans)
                AuthorityKeyIdentifier(keyIdentifier: subjectKeyID)
            },
            issuerPrivateKey: privateKey)
        let pem = try cert.serializeAsPEM().pemString + "\n"
        let nio = try NIOSSLCertificate(bytes: Array(pem.utf8), format: .pem)
        return Leaf(certificate: cert, pem: pem, chain: [nio, nioCA], key: nioLeafKey)
    }

    /// How many leaves are cached (tests, status).
    public var cachedLeaves: Int { cache.withLock { $0.count } }
}

/// A small insertion-ordered cache (FIFO eviction).
struct LeafCache {
    private var entries: [String: CertificateAuthority.Leaf] = [:]
    private var order: [String] = []
    var count: Int { entries.count }
    func get(_ k: String) -> CertificateAuthority.Leaf? { entries[k] }
    mutating func put(_ k: String, _ v: CertificateAuthority.Leaf, capacity: Int) {
        if entries[k] == nil {
            order.append(k)
            if order.count > capacity {
                entries.removeValue(forKey: order.removeFirst())
            }
        }
        entries[k] = v
    }
}

/// IPv4 / IPv6 text to network-order bytes (inet_pton).
enum IPAddressBytes {
    static func parse(_ s: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, s, &v4) == 1 {
            return withUnsafeBytes(of: &v4) { Array($0) }
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, s, &v6) == 1 {
            return withUnsafeBytes(of: &v6) { Array($0) }
        }
        return nil
    }
}
