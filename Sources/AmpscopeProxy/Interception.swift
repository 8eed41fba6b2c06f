import AmpscopeCore
import Foundation
import NIOSSL

/// Which hosts a proxy client's traffic is opened for (TLS terminated and captured), and the CA
/// that signs their certificates. Every other host is tunnelled untouched.
public struct Interception: Sendable {
    /// Amplitude's ingestion hosts (US and EU; the Batch API is on the same hosts) and Segment's
    /// tracking hosts (Docs/facts/capture-anywhere.md §6).
    public static let defaultHosts = [
        "api2.amplitude.com", "api.amplitude.com", "api.eu.amplitude.com",
        "api.segment.io", "events.eu1.segmentapis.com",
    ]

    /// Exact names or `*.suffix` patterns, lowercased, without a trailing dot.
    public let hosts: [String]
    public let ca: CAProvider

    public init(hosts: [String] = Interception.defaultHosts, ca: CAProvider) {
        self.hosts = hosts.map(CertificateAuthority.normalize)
        self.ca = ca
    }

    /// True when `host` (any case, with or without a trailing dot) is on the list.
    public func intercepts(_ host: String) -> Bool {
        let h = CertificateAuthority.normalize(host)
        for p in hosts {
            if p.hasPrefix("*.") {
                if h.hasSuffix(p.dropFirst()) && h.utf8.count > p.utf8.count - 1 { return true }
            } else if p == h {
                return true
            }
        }
        return false
    }

    /// Parses `--intercept` values: comma-separated host names or `*.domain` patterns; the word
    /// `default` stands for `defaultHosts`.
    public static func parseHosts(_ values: [String]) throws(ProxyConfigurationError) -> [String] {
        var out: [String] = []
        for value in values {
            for raw in value.split(separator: ",") {
                let item = raw.trimmingSpaces
                if item.isEmpty { continue }
                if item == "default" {
                    out += defaultHosts
                    continue
                }
                let name = item.hasPrefix("*.") ? String(item.dropFirst(2)) : item
                guard HostName.isValidDNSName(name) else {
                    throw .invalid("--intercept: '\(Sanitize.inline(item, limit: 80))' is not a host name or *.domain pattern")
                }
                out.append(CertificateAuthority.normalize(item))
            }
        }
        return out
    }
}

/// Loads (or creates) the CA on first use, so a proxy that never intercepts writes nothing.
public final class CAProvider: Sendable {
    public let directory: String
    private let state = Guarded<CertificateAuthority?>(nil)
    /// Told once, when the CA is created by this process.
    let onCreate: (@Sendable (String) -> Void)?

    public init(directory: String = CertificateAuthority.defaultDirectory(), onCreate: (@Sendable (String) -> Void)? = nil) {
        self.directory = directory
        self.onCreate = onCreate
    }

    public init(_ ca: CertificateAuthority) {
        directory = ca.directory
        onCreate = nil
        state.withLock { $0 = ca }
    }

    public var certificatePath: String { directory + "/" + CertificateAuthority.certificateFileName }

    public func get() throws -> CertificateAuthority {
        try state.withLock { s in
            if let s { return s }
            let (ca, created) = try CertificateAuthority.loadOrCreate(directory: directory)
            s = ca
            if created { onCreate?(ca.certificatePath) }
            return ca
        }
    }
}

/// NIOSSL server contexts for intercepted hosts, one per host (cached: making a context costs
/// far more than a handshake). A client whose SNI names another host gets that host's
/// certificate through NIOSSL's per-hello callback.
final class InterceptContexts: Sendable {
    let ca: CAProvider
    private let contexts = Guarded<[String: NIOSSLContext]>([:])
    static let capacity = 256

    init(ca: CAProvider) { self.ca = ca }

    func context(for host: String) throws -> NIOSSLContext {
        let key = CertificateAuthority.normalize(host)
        if let c = contexts.withLock({ $0[key] }) { return c }
        let authority = try ca.get()
        let context = try Self.serverContext(authority, leaf: try authority.leaf(for: key), defaultName: key)
        contexts.withLock { d in
            if d.count >= Self.capacity { d.removeAll(keepingCapacity: true) }
            d[key] = context
        }
        return context
    }

    /// A server context presenting `leaf`; a hello whose SNI is another name gets a certificate for it.
    static func serverContext(_ ca: CertificateAuthority, leaf: CertificateAuthority.Leaf, defaultName: String?) throws -> NIOSSLContext {
        var config = TLSConfiguration.makeServerConfiguration(
            certificateChain: leaf.chain.map { .certificate($0) }, privateKey: .privateKey(leaf.key))
        config.applicationProtocols = ["http/1.1"]
        config.minimumTLSVersion = .tlsv12
        config.sslContextCallback = { values, promise in
            guard let sni = values.serverHostname, CertificateAuthority.normalize(sni) != defaultName,
                  HostName.isValidDNSName(sni) || IPAddressBytes.parse(sni) != nil,
                  let other = try? ca.leaf(for: sni) else {
                promise.succeed(.noChanges)
                return
            }
            var o = NIOSSLContextConfigurationOverride()
            o.certificateChain = other.chain.map { .certificate($0) }
            o.privateKey = .privateKey(other.key)
            promise.succeed(o)
        }
        return try NIOSSLContext(configuration: config)
    }
}

/// Host name checks for CONNECT targets and `--intercept` values.
enum HostName {
    /// Letters, digits, `-`, `_` and dots; labels of 1-63 bytes; at most 253 bytes in all.
    static func isValidDNSName(_ s: String) -> Bool {
        var name = Substring(s)
        if name.hasSuffix(".") { name = name.dropLast() }
        guard !name.isEmpty, name.utf8.count <= 253 else { return false }
        for label in name.split(separator: ".", omittingEmptySubsequences: false) {
            guard (1...63).contains(label.utf8.count) else { return false }
            guard label.utf8.first != UInt8(ascii: "-"), label.utf8.last != UInt8(ascii: "-") else { return false }
            for b in label.utf8 {
                let ok = (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x2D || b == 0x5F
                if !ok { return false }
            }
        }
        return true
    }

    /// True for names and addresses that mean this machine.
    static func isLoopback(_ host: String) -> Bool {
        let h = CertificateAuthority.normalize(host)
        if h == "localhost" || h.hasSuffix(".localhost") || h == "::1" || h == "0.0.0.0" || h == "::" { return true }
        if h.hasPrefix("127."), IPAddressBytes.parse(h) != nil { return true }
        if h.hasPrefix("::ffff:127.") { return true }
        return false
    }
}

/// The `--tls` listener: the capture endpoints over HTTPS on a port of their own.
public struct TLSListener: Sendable {
    public enum Certificate: Sendable {
        /// A certificate from ampscope's CA for localhost, 127.0.0.1, ::1, the listen address and `names`.
        case authority(CAProvider, names: [String])
        /// PEM files the user made (mkcert, a company CA...).
        case files(certificate: String, key: String)
    }
    public var host: String
    public var port: Int
    public var certificate: Certificate

    public init(host: String, port: Int, certificate: Certificate) {
        self.host = host
        self.port = port
        self.certificate = certificate
    }

    /// The server context for this listener.
    func makeContext() throws -> NIOSSLContext {
        switch certificate {
        case .files(let certPath, let keyPath):
            let chain: [NIOSSLCertificate]
            let key: NIOSSLPrivateKey
            do {
                chain = try NIOSSLCertificate.fromPEMFile(certPath)
            } catch {
                throw ProxyConfigurationError.invalid("--tls-cert \(certPath): cannot read a PEM certificate (\(error))")
            }
            do {
                key = try NIOSSLPrivateKey(file: keyPath, format: .pem)
            } catch {
                throw ProxyConfigurationError.invalid("--tls-key \(keyPath): cannot read a PEM private key (\(error))")
            }
            var config = TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
            config.applicationProtocols = ["http/1.1"]
            config.minimumTLSVersion = .tlsv12
            return try NIOSSLContext(configuration: config)
        case .authority(let provider, let extra):
            let ca = try provider.get()
            var names = ["localhost", "127.0.0.1", "::1"]
            if host != "0.0.0.0" && host != "::" && !names.contains(CertificateAuthority.normalize(host)) { names.append(host) }
            for n in extra where !names.contains(CertificateAuthority.normalize(n)) { names.append(n) }
            let leaf = try ca.leaf(names: names)
            return try InterceptContexts.serverContext(ca, leaf: leaf, defaultName: "localhost")
        }
    }
}

/// The origin of an absolute-form request target (`POST http://api2.amplitude.com/2/httpapi`).
enum ProxiedOrigin {
    static func absoluteForm(_ uri: String) -> String? {
        guard uri.hasPrefix("http://") || uri.hasPrefix("https://") else { return nil }
        let parts = URLParts(uri)
        guard !parts.host.isEmpty else { return nil }
        return parts.scheme + "://" + parts.host
    }
}
