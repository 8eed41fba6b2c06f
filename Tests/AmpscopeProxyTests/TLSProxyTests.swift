import AmpscopeCore
import AmpscopeProxy
import AmpscopeStore
import AmpscopeTestSupport
import Crypto
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Testing
import SwiftASN1
import X509

/// ampscope's CA and its certificates (checked with swift-certificates' own verifier), and the
/// proxy mode: CONNECT to an intercepted host is captured, any other host is tunnelled untouched,
/// hostile CONNECT input is refused cleanly. The HTTPS clients are CPython's `http.client` and
/// `ssl` (OpenSSL), run as separate processes.
@Suite struct CertificateAuthorityTests {
    static func tempCADir() -> String { TempDir.make("ampscope-ca").appendingPathComponent("ca").path }

    static func mode(_ path: String) -> mode_t {
        var st = stat()
        _ = stat(path, &st)
        return st.st_mode & 0o777
    }

    @Test func createdOnFirstUseWithAPrivateKeyOnlyTheUserCanRead() throws {
        let dir = Self.tempCADir()
        let (ca, created) = try CertificateAuthority.loadOrCreate(directory: dir)
        #expect(created)
        #expect(Self.mode(dir) == 0o700)
        #expect(Self.mode(ca.keyPath) == 0o600)
        #expect(Self.mode(ca.certificatePath) & 0o077 == 0o044)
        let pem = try String(contentsOfFile: ca.certificatePath, encoding: .utf8)
        #expect(pem.hasPrefix("-----BEGIN CERTIFICATE-----"))
        #expect(!pem.contains("PRIVATE KEY"))
        #expect(try String(contentsOfFile: ca.keyPath, encoding: .utf8).contains("PRIVATE KEY"))

        // The second use loads the same CA.
        let (again, createdAgain) = try CertificateAuthority.loadOrCreate(directory: dir)
        #expect(!createdAgain)
        #expect(again.sha256Fingerprint == ca.sha256Fingerprint)
        #expect(ca.sha256Fingerprint.count == 32 * 3 - 1)

        // A CA certificate: critical CA:TRUE, critical keyCertSign, a subject key identifier, ten years.
        let c = ca.certificate
        #expect(try c.extensions.basicConstraints == .isCertificateAuthority(maxPathLength: 0))
        #expect(c.extensions[oid: .X509ExtensionID.basicConstraints]?.critical == true)
        #expect(try c.extensions.keyUsage?.keyCertSign == true)
        #expect(c.extensions[oid: .X509ExtensionID.keyUsage]?.critical == true)
        #expect(try c.extensions.subjectKeyIdentifier != nil)
        #expect(c.notValidAfter.timeIntervalSinceNow > 9 * 365 * 86_400)
    }

    @Test func aKeyOthersCanReadIsRefused() throws {
        let dir = Self.tempCADir()
        let (ca, _) = try CertificateAuthority.loadOrCreate(directory: dir)
        chmod(ca.keyPath, 0o644)
        #expect(throws: CertificateAuthority.CAError.self) { try CertificateAuthority.load(directory: dir) }
        chmod(ca.keyPath, 0o600)
        #expect(try CertificateAuthority.load(directory: dir).sha256Fingerprint == ca.sha256Fingerprint)
    }

    @Test func twoUsersNeverShareACA() throws {
        let a = try CertificateAuthority.loadOrCreate(directory: Self.tempCADir()).ca
        let b = try CertificateAuthority.loadOrCreate(directory: Self.tempCADir()).ca
        #expect(a.sha256Fingerprint != b.sha256Fingerprint)
    }

    @Test func leafCertificatesVerifyAgainstTheCAForTheirHostOnly() async throws {
        let (ca, _) = try CertificateAuthority.loadOrCreate(directory: Self.tempCADir())
        let now = Date()
        let leaf = try ca.leaf(for: "API2.Amplitude.com.", now: now)
        func verify(_ cert: Certificate, host: String?, ip: String? = nil, roots: [Certificate]) async -> Bool {
            var verifier = Verifier(rootCertificates: CertificateStore(roots)) {
                RFC5280Policy(validationTime: now)
                ServerIdentityPolicy(serverHostname: host, serverIP: ip)
            }
            if case .validCertificate = await verifier.validate(leaf: cert, intermediates: CertificateStore()) { return true }
            return false
        }
        #expect(await verify(leaf.certificate, host: "api2.amplitude.com", roots: [ca.certificate]))
        #expect(await !verify(leaf.certificate, host: "api.eu.amplitude.com", roots: [ca.certificate]))
        let stranger = try CertificateAuthority.loadOrCreate(directory: Self.tempCADir()).ca
        #expect(await !verify(leaf.certificate, host: "api2.amplitude.com", roots: [stranger.certificate]))

        // What Apple and Chrome require: the name in the SAN, serverAuth, a short life, not a CA.
        let c = leaf.certificate
        #expect(try c.extensions.subjectAlternativeNames?.contains(.dnsName("api2.amplitude.com")) == true)
        #expect(try c.extensions.extendedKeyUsage?.contains(.serverAuth) == true)
        let usage = try #require(try c.extensions.keyUsage)
        #expect(usage.digitalSignature && !usage.keyCertSign)
        #expect(try c.extensions.basicConstraints == .notCertificateAuthority)
        #expect(try c.extensions.authorityKeyIdentifier?.keyIdentifier == ca.certificate.extensions.subjectKeyIdentifier?.keyIdentifier)
        #expect(try c.extensions.subjectKeyIdentifier == nil)
        let days = c.notValidAfter.timeIntervalSince(c.notValidBefore) / 86_400
        #expect(days <= 199 && days >= 180)
        #expect(c.notValidBefore < now && c.notValidAfter > now.addingTimeInterval(170 * 86_400))
        #expect(c.signatureAlgorithm == .ecdsaWithSHA256)

        // Cached per host (any spelling); an IP address gets an iPAddress SAN.
        #expect(try ca.leaf(for: "api2.amplitude.com", now: now).certificate.serialNumber == c.serialNumber)
        #expect(try ca.leaf(for: "api.eu.amplitude.com", now: now).certificate.serialNumber != c.serialNumber)
        let ipLeaf = try ca.leaf(for: "127.0.0.1", now: now)
        #expect(try ipLeaf.certificate.extensions.subjectAlternativeNames?.contains(.ipAddress(ASN1OctetString(contentBytes: [127, 0, 0, 1]))) == true)
        #expect(await verify(ipLeaf.certificate, host: nil, ip: "127.0.0.1", roots: [ca.certificate]))
    }

    @Test func interceptListMatchesNamesAndPatterns() throws {
        let ca = CAProvider(directory: Self.tempCADir())
        let i = Interception(ca: ca)
        for h in ["api2.amplitude.com", "API.EU.amplitude.com", "api.segment.io.", "events.eu1.segmentapis.com", "api.amplitude.com"] {
            #expect(i.intercepts(h), "\(h)")
        }
        for h in ["cdn.amplitude.com", "example.com", "amplitude.com", "evilapi2.amplitude.com"] {
            #expect(!i.intercepts(h), "\(h)")
        }
        let custom = Interception(hosts: try Interception.parseHosts(["default,*.example.org", "track.my-app.io"]), ca: ca)
        #expect(custom.intercepts("a.b.example.org") && custom.intercepts("track.my-app.io") && custom.intercepts("api2.amplitude.com"))
        #expect(!custom.intercepts("example.org"))
        #expect(throws: ProxyConfigurationError.self) { try Interception.parseHosts(["bad host!"]) }
        // Nothing is written until the CA is needed.
        #expect(!FileManager.default.fileExists(atPath: ca.directory))
    }
}

/// CPython's http.client through the proxy (CONNECT + TLS), printing one JSON line.
enum PythonHTTPS {
    static let script = """
    import http.client, json, ssl, sys
    pport, host, port, cafile, method, path, body = sys.argv[1:8]
    ctx = ssl.create_default_context(cafile=cafile)
    c = http.client.HTTPSConnection('127.0.0.1', int(pport), context=ctx, timeout=60)
    c.set_tunnel(host, int(port))
    try:
        c.request(method, path, body=body.encode() if body else None, headers={'Content-Type': 'application/json'})
        r = c.getresponse()
        data = r.read()
        print(json.dumps({'ok': True, 'status': r.status, 'body': data.decode('utf-8', 'replace'), 'tls': c.sock.version() if c.sock else ''}))
    except Exception as e:
        print(json.dumps({'ok': False, 'error': repr(e)}))
    """

    struct Outcome {
        var ok: Bool
        var status: Int
        var body: String
        var error: String
    }

    static func run(proxyPort: Int, host: String, port: Int, cafile: String, method: String = "POST", path: String, body: String) async throws -> Outcome {
        let r = try await onThread {
            try Programs.run("/usr/bin/python3", ["-c", script, String(proxyPort), host, String(port), cafile, method, path, body],
                             environment: ["HTTPS_PROXY": "", "https_proxy": "", "NO_PROXY": "", "no_proxy": ""], timeout: 120)
        }
        let line = r.stdout.split(separator: "\n").last.map(String.init) ?? ""
        let doc = try JSONDocument(parsing: Array(line.utf8))
        func s(_ k: String) -> String { doc.member(doc.root, named: k).flatMap { doc.stringValue($0) } ?? "" }
        let ok = doc.member(doc.root, named: "ok").map { doc.kind($0) == .true } ?? false
        let status = Int(doc.member(doc.root, named: "status").flatMap { doc.int64($0) } ?? 0)
        return Outcome(ok: ok, status: status, body: s("body"), error: s("error") + r.stderr)
    }
}

/// A stand-in for a non-Amplitude HTTPS host: TLS with a certificate from another CA.
final class StandInTLSServer: Sendable {
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    let channel: any Channel
    let log = LockedBox<[FakeUpstream.Received]>([])
    var port: Int { channel.localAddress!.port! }

    init(ca: CertificateAuthority) async throws {
        let leaf = try ca.leaf(for: "127.0.0.1")
        var config = TLSConfiguration.makeServerConfiguration(certificateChain: leaf.chain.map { .certificate($0) }, privateKey: .privateKey(leaf.key))
        config.applicationProtocols = ["http/1.1"]
        let context = try NIOSSLContext(configuration: config)
        let log = self.log
        channel = try await ServerBootstrap(group: group)
            .childChannelInitializer { ch in
                ch.eventLoop.makeCompletedFuture {
                    try ch.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: context))
                    try ch.pipeline.syncOperations.configureHTTPServerPipeline()
                    var b = FakeUpstream.Behaviour()
                    b.body = "hello from the stand-in"
                    try ch.pipeline.syncOperations.addHandler(FakeUpstreamHandler(behaviour: b, log: log))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
    }

    func stop() async {
        try? await channel.close()
        try? await group.shutdownGracefully()
    }
}

@Suite(.serialized) struct ProxyModeTests {
    static func fixture(caDir: String, problems: LockedBox<[String]>? = nil, limits: ((inout ProxyLimits) -> Void)? = nil) async throws -> ProxyFixture {
        try await ProxyFixture { c in
            c.interception = Interception(ca: CAProvider(directory: caDir))
            if let problems { c.onProblem = { m in problems.mutate { $0.append(m) } } }
            if let limits { limits(&c.limits) }
        }
    }

    @Test func connectToAmplitudeIsCapturedAndAnsweredInSinkMode() async throws {
        let caDir = CertificateAuthorityTests.tempCADir()
        let ca = try CertificateAuthority.loadOrCreate(directory: caDir).ca
        let proxy = try await Self.fixture(caDir: caDir)
        let body = Payload.v2([Payload.event("Through The Proxy", user: "user-proxy-1")])
        let out = try await PythonHTTPS.run(proxyPort: proxy.port, host: "api2.amplitude.com", port: 443, cafile: ca.certificatePath,
                                            path: "/2/httpapi", body: body)
        #expect(out.ok, "\(out.error)")
        #expect(out.status == 200)
        #expect(out.body.contains("\"events_ingested\":1"))
        let caps = try await proxy.captures()
        #expect(caps.count == 1)
        #expect(caps.first?.capture.path == "/2/httpapi")
        #expect(caps.first?.capture.header("Host") == "api2.amplitude.com")
        #expect(caps.first?.request.records.count == 1)
        #expect(proxy.server.stats.tunnelCounts.intercepted == 1)
        await proxy.stop()
    }

    @Test func otherHostsAreTunnelledUntouched() async throws {
        let caDir = CertificateAuthorityTests.tempCADir()
        let proxy = try await Self.fixture(caDir: caDir)
        let elsewhere = try CertificateAuthority.loadOrCreate(directory: CertificateAuthorityTests.tempCADir()).ca
        let standIn = try await StandInTLSServer(ca: elsewhere)
        // The client trusts only the stand-in's CA: if ampscope looked inside, the handshake would fail.
        let out = try await PythonHTTPS.run(proxyPort: proxy.port, host: "127.0.0.1", port: standIn.port, cafile: elsewhere.certificatePath,
                                            path: "/not/amplitude?x=1", body: "{\"raw\":\"bytes\"}")
        #expect(out.ok, "\(out.error)")
        #expect(out.status == 200)
        #expect(out.body == "hello from the stand-in")
        let got = standIn.log.value
        #expect(got.count == 1)
        #expect(got.first?.uri == "/not/amplitude?x=1")
        #expect(got.first.map { String(decoding: $0.body, as: UTF8.self) } == "{\"raw\":\"bytes\"}")
        #expect(try await proxy.captures().isEmpty)
        #expect(proxy.server.stats.tunnelCounts.tunnelled == 1)
        #expect(proxy.server.stats.tunnelCounts.intercepted == 0)
        // Nothing needed the CA, so none was made.
        #expect(!FileManager.default.fileExists(atPath: caDir))
        await standIn.stop()
        await proxy.stop()
    }

    @Test func forwardModeRelaysATunnelledRequestToTheHostItWasSentToAndRecordsBothAnswers() async throws {
        let caDir = CertificateAuthorityTests.tempCADir()
        let ca = try CertificateAuthority.loadOrCreate(directory: caDir).ca
        let elsewhere = try CertificateAuthority.loadOrCreate(directory: CertificateAuthorityTests.tempCADir()).ca
        let real = try await StandInTLSServer(ca: elsewhere)
        // The stand-in plays the real host: intercepted by name (an IP here), trusted as an upstream.
        let proxy = try await ProxyFixture { c in
            c.mode = .forward(upstream: try! ForwardTarget(parsing: "https://forward-url-not-used.invalid"))
            c.interception = Interception(hosts: ["127.0.0.1"], ca: CAProvider(directory: caDir))
            c.upstreamTrustRoots = [elsewhere.certificatePath]
        }
        let body = Payload.v2([Payload.event("Forwarded Through The Tunnel")])
        let out = try await PythonHTTPS.run(proxyPort: proxy.port, host: "127.0.0.1", port: real.port, cafile: ca.certificatePath,
                                            path: "/2/httpapi", body: body)
        #expect(out.ok, "\(out.error)")
        #expect(out.status == 200)
        #expect(out.body == "hello from the stand-in")
        let got = real.log.value
        #expect(got.count == 1)
        #expect(got.first?.uri == "/2/httpapi")
        #expect(got.first.map { String(decoding: $0.body, as: UTF8.self) } == body)
        let caps = try await proxy.captures()
        #expect(caps.count == 1)
        let recorded = try #require(caps.first?.capture.recordedResponse)
        #expect(recorded.origin == .upstream)
        #expect(String(decoding: recorded.body, as: UTF8.self) == "hello from the stand-in")
        #expect(caps.first?.answer.status == 200)  // the emulated answer, recorded beside the real one
        await real.stop()
        await proxy.stop()
    }

    @Test func aClientThatDoesNotTrustTheCAFailsAndAmpscopeSaysWhichHostAndWhy() async throws {
        let caDir = CertificateAuthorityTests.tempCADir()
        let problems = LockedBox<[String]>([])
        let proxy = try await Self.fixture(caDir: caDir, problems: problems)
        let other = try CertificateAuthority.loadOrCreate(directory: CertificateAuthorityTests.tempCADir()).ca
        let out = try await PythonHTTPS.run(proxyPort: proxy.port, host: "api.eu.amplitude.com", port: 443, cafile: other.certificatePath,
                                            path: "/2/httpapi", body: Payload.v2([Payload.event("Never Sent")]))
        #expect(!out.ok)
        #expect(out.error.contains("CERTIFICATE_VERIFY_FAILED"), "\(out.error)")
        let deadline = Date().addingTimeInterval(30)
        while problems.value.isEmpty && Date() < deadline { try await Task.sleep(nanoseconds: 20_000_000) }
        let said = problems.value.joined(separator: "\n")
        #expect(said.contains("api.eu.amplitude.com"), "\(said)")
        #expect(said.contains("does not trust ampscope's CA"), "\(said)")
        #expect(try await proxy.captures().isEmpty)
        // The proxy keeps serving.
        let r = try await proxy.send(HTTPRequestBytes.json("/2/httpapi", Payload.v2([Payload.event("Still Here")])))
        #expect(r.status == 200)
        await proxy.stop()
    }

    @Test func hostileConnectInputIsRefusedCleanly() async throws {
        let caDir = CertificateAuthorityTests.tempCADir()
        let proxy = try await Self.fixture(caDir: caDir) { $0.headerTimeout = 0.5; $0.maxHeaderBytes = 16 << 10 }
        let port = proxy.port
        func answer(_ raw: String) async throws -> (status: Int, text: String) {
            try await onThread {
                let c = try RawClient(port: port, timeout: 30)
                try c.send(raw)
                let (bytes, _) = try c.waitForClose()
                let text = String(decoding: bytes, as: UTF8.self)
                let status = Int(text.split(separator: " ").dropFirst().first ?? "") ?? 0
                return (status, text)
            }
        }
        let cases: [(String, Int, String)] = [
            ("CONNECT bad_host!:443 HTTP/1.1\r\n\r\n", 400, "not a host name"),
            ("CONNECT api2.amplitude.com HTTP/1.1\r\n\r\n", 400, "port is missing"),
            ("CONNECT api2.amplitude.com:99999 HTTP/1.1\r\n\r\n", 400, "1-65535"),
            ("CONNECT api2.amplitude.com:0 HTTP/1.1\r\n\r\n", 400, "1-65535"),
            ("CONNECT api2.amplitude.com:-1 HTTP/1.1\r\n\r\n", 400, "1-65535"),
            ("CONNECT [nope]:443 HTTP/1.1\r\n\r\n", 400, "IPv6"),
            ("CONNECT a.b:443 HTTP/2.0\r\n\r\n", 505, "HTTP/1.1"),
            ("CONNECT a.b:443\r\n\r\n", 400, "expected"),
            ("CONNECT \u{7}evil.com:443 HTTP/1.1\r\n\r\n", 400, "control"),
            ("CONNECT " + String(repeating: "a", count: 20_000), 431, "exceeds"),
            ("CONNECT 127.0.0.1:\(try closedPort()) HTTP/1.1\r\n\r\n", 502, "cannot reach"),
        ]
        for (raw, status, words) in cases {
            let got = try await answer(raw)
            #expect(got.status == status, "\(raw.prefix(60)): \(got.text.prefix(200))")
            #expect(got.text.contains(words), "\(raw.prefix(60)): \(got.text.prefix(300))")
            #expect(!got.text.contains("\u{7}"))
        }

        // A TLS handshake that never finishes is closed after the header timeout.
        let slow = try await onThread {
            let c = try RawClient(port: port, timeout: 30)
            try c.send("CONNECT api2.amplitude.com:443 HTTP/1.1\r\nHost: api2.amplitude.com:443\r\n\r\n")
            try c.send([0x16, 0x03, 0x01, 0x02, 0x00, 0x01])  // the start of a ClientHello, then nothing
            return try c.waitForClose()
        }
        #expect(String(decoding: slow.bytes, as: UTF8.self).hasPrefix("HTTP/1.1 200 Connection established\r\n\r\n"))
        #expect(slow.seconds < 25)

        // A CONNECT later on a kept-alive connection is refused; the proxy keeps serving.
        let late = try await onThread {
            let c = try RawClient(port: port, timeout: 30)
            _ = try c.exchange(HTTPRequestBytes.json("/2/httpapi", Payload.v2([Payload.event("First")])))
            return try c.exchange(Array("CONNECT api2.amplitude.com:443 HTTP/1.1\r\nHost: x\r\n\r\n".utf8))
        }
        #expect(late.status == 405)
        let r = try await proxy.send(HTTPRequestBytes.json("/2/httpapi", Payload.v2([Payload.event("Still Here")])))
        #expect(r.status == 200)
        await proxy.stop()
    }

    @Test func absoluteFormRequestsAreCaptured() async throws {
        let proxy = try await Self.fixture(caDir: CertificateAuthorityTests.tempCADir())
        let body = Payload.v2([Payload.event("Plain HTTP Proxy")])
        let raw = "POST http://api2.amplitude.com/2/httpapi HTTP/1.1\r\nHost: api2.amplitude.com\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n" + body
        let r = try await proxy.send(Array(raw.utf8))
        #expect(r.status == 200)
        let caps = try await proxy.captures()
        #expect(caps.count == 1 && caps.first?.capture.path == "/2/httpapi")
        await proxy.stop()
    }

    @Test func absoluteFormRequestsToOtherHostsAreRelayedNotCaptured() async throws {
        let proxy = try await Self.fixture(caDir: CertificateAuthorityTests.tempCADir())
        var b = FakeUpstream.Behaviour()
        b.status = 201
        b.body = "not amplitude"
        let other = try await FakeUpstream(b)
        let raw = "POST http://127.0.0.1:\(other.port)/some/api?q=1 HTTP/1.1\r\nHost: 127.0.0.1:\(other.port)\r\nProxy-Connection: keep-alive\r\nX-App: 1\r\nContent-Length: 5\r\n\r\nhello"
        let r = try await proxy.send(Array(raw.utf8))
        #expect(r.status == 201)
        #expect(String(decoding: r.body, as: UTF8.self) == "not amplitude")
        #expect(r.header("Access-Control-Allow-Origin") == nil)
        let got = other.received
        #expect(got.count == 1)
        #expect(got.first?.uri == "/some/api?q=1")
        #expect(got.first.map { String(decoding: $0.body, as: UTF8.self) } == "hello")
        #expect(got.first?.headers.contains { $0.0.lowercased() == "x-app" } == true)
        #expect(got.first?.headers.contains { $0.0.lowercased() == "proxy-connection" } == false)
        #expect(try await proxy.captures().isEmpty)
        await other.stop()
        await proxy.stop()
    }

    @Test func theTLSListenerServesTheCaptureEndpointsOverHTTPS() async throws {
        let caDir = CertificateAuthorityTests.tempCADir()
        let proxy = try await ProxyFixture { c in
            c.tls = TLSListener(host: "127.0.0.1", port: 0, certificate: .authority(CAProvider(directory: caDir), names: []))
        }
        let tls = try #require(proxy.server.tlsAddress)
        let ca = try CertificateAuthority.load(directory: caDir)
        let script = """
        import json, ssl, sys, urllib.request
        ctx = ssl.create_default_context(cafile=sys.argv[2])
        req = urllib.request.Request(sys.argv[1] + '/2/httpapi', data=sys.argv[3].encode(), headers={'Content-Type': 'application/json'})
        print(urllib.request.urlopen(req, context=ctx, timeout=60).read().decode())
        """
        let body = Payload.v2([Payload.event("Over HTTPS")])
        for host in ["127.0.0.1", "localhost"] {
            let r = try await onThread {
                try Programs.run("/usr/bin/python3", ["-c", script, "https://\(host):\(tls.port)", ca.certificatePath, body],
                                 environment: ["HTTPS_PROXY": "", "https_proxy": ""], timeout: 120)
            }
            #expect(r.status == 0, "\(r.stderr.suffix(800))")
            #expect(r.stdout.contains("\"events_ingested\":1"))
        }
        #expect(try await proxy.captures().count == 2)
        await proxy.stop()
    }
}
