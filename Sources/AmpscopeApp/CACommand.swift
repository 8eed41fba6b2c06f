import AmpscopeCore
import AmpscopeProxy
import ArgumentParser
import Foundation

/// Options shared by `proxy` and `live` for HTTPS: interception through the proxy, the CA, `--tls`.
struct TLSOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "Hosts whose CONNECT tunnels are opened and captured, comma-separated or repeated; *.domain patterns; 'default' is Amplitude's and Segment's ingestion hosts. Default: default. Every other host is tunnelled untouched.",
        valueName: "hosts"))
    var intercept: [String] = []

    @Option(name: .customLong("ca-dir"), help: "Directory of ampscope's CA (default: <data directory>/ca, or $AMPSCOPE_CA_DIR).", completion: .directory)
    var caDir: String?

    @Flag(name: .long, help: "Also serve the capture endpoints over HTTPS on their own port (--tls-port).")
    var tls = false

    @Option(name: .customLong("tls-port"), help: "Port of the --tls listener, on the --listen host (default: the capture port + 1, e.g. 8788; 0 picks a free one).")
    var tlsPort: Int?

    @Option(name: .customLong("tls-cert"), help: "PEM certificate (chain) for --tls instead of one from ampscope's CA (e.g. made with mkcert).", completion: .file())
    var tlsCert: String?

    @Option(name: .customLong("tls-key"), help: "PEM private key for --tls-cert.", completion: .file())
    var tlsKey: String?

    func validateOptions() throws {
        do { _ = try Interception.parseHosts(intercept) } catch { throw ValidationError(error.description) }
        if (tlsCert == nil) != (tlsKey == nil) { throw ValidationError("--tls-cert and --tls-key go together") }
        if (tlsCert != nil || tlsPort != nil) && !tls { throw ValidationError("--tls-port, --tls-cert and --tls-key need --tls") }
        if let tlsPort, !(0...65535).contains(tlsPort) { throw ValidationError("--tls-port must be 0-65535") }
    }

    var caDirectory: String { caDir ?? CertificateAuthority.defaultDirectory() }

    /// Sets interception and the TLS listener on `config` (listening on `host`, capture port `port`).
    func apply(to config: inout ProxyConfiguration, host: String, port: Int, onCreate: (@Sendable (String) -> Void)?) throws {
        let provider = CAProvider(directory: caDirectory, onCreate: onCreate)
        let hosts = intercept.isEmpty ? Interception.defaultHosts : try Interception.parseHosts(intercept)
        config.interception = Interception(hosts: hosts, ca: provider)
        if tls {
            let p = tlsPort ?? (port == 0 ? 0 : min(port + 1, 65535))
            let cert: TLSListener.Certificate = if let tlsCert, let tlsKey {
                .files(certificate: tlsCert, key: tlsKey)
            } else {
                .authority(provider, names: [ProcessInfo.processInfo.hostName])
            }
            config.tls = TLSListener(host: host, port: p, certificate: cert)
        }
    }
}

/// `ampscope ca path|export|show`: ampscope's own certificate authority.
struct CACommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ca",
        abstract: "ampscope's certificate authority for HTTPS capture: where it is, export it, how to trust it.",
        discussion: """
        The CA is created on first use in the data directory (private key readable by you only). \
        It is yours alone: never copy it to another user or machine, and remove its trust when \
        you stop using ampscope. See Docs/capture.md.
        """,
        subcommands: [Path.self, Export.self, Show.self],
        defaultSubcommand: Show.self)

    struct Location: ParsableArguments {
        @Option(name: .customLong("ca-dir"), help: "Directory of ampscope's CA (default: <data directory>/ca, or $AMPSCOPE_CA_DIR).", completion: .directory)
        var caDir: String?

        func load() throws -> (CertificateAuthority, Bool) {
            do {
                return try CertificateAuthority.loadOrCreate(directory: caDir ?? CertificateAuthority.defaultDirectory())
            } catch {
                FileHandle.standardError.write(Data("ampscope: \(Sanitize.inline("\(error)", limit: 400))\n".utf8))
                throw ExitCode(1)
            }
        }
    }

    struct Path: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the path of the CA certificate (PEM), creating the CA if there is none yet.")
        @OptionGroup var location: Location

        func run() throws {
            let (ca, _) = try location.load()
            print(ca.certificatePath)
        }
    }

    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write the CA certificate as ampscope-ca.pem (PEM) and ampscope-ca.cer (DER) into a directory. The private key is never exported.")
        @OptionGroup var location: Location

        @Option(name: [.short, .long], help: "Directory to write to (default: the current directory).", completion: .directory)
        var output: String = "."

        func run() throws {
            let (ca, _) = try location.load()
            let pem = output + "/ampscope-ca.pem"
            let der = output + "/ampscope-ca.cer"
            do {
                try Data(ca.certificatePEM.utf8).write(to: URL(fileURLWithPath: pem))
                try Data(ca.derBytes).write(to: URL(fileURLWithPath: der))
            } catch {
                FileHandle.standardError.write(Data("ampscope: cannot write to \(output): \(error.localizedDescription)\n".utf8))
                throw ExitCode(1)
            }
            print(pem)
            print(der)
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show the CA (subject, SHA-256 fingerprint, expiry) and how to trust it on each platform.")
        @OptionGroup var location: Location

        func run() throws {
            let (ca, created) = try location.load()
            print(CATrustGuide.text(ca, created: created), terminator: "")
        }
    }
}

/// The per-platform trust instructions printed by `ampscope ca show` (and summarised in Docs/capture.md).
enum CATrustGuide {
    static func text(_ ca: CertificateAuthority, created: Bool) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withFullDate]
        let pem = ca.certificatePath
        return """
        ampscope CA\(created ? " (created now)" : "")
          certificate:  \(pem)
          private key:  \(ca.keyPath)  (mode 0600: yours only; never share or copy it)
          subject:      \(Sanitize.inline(ca.subject, limit: 200))
          SHA-256:      \(ca.sha256Fingerprint)
          expires:      \(f.string(from: ca.notValidAfter))

        Trust it only on machines and devices you use for debugging, and remove it afterwards.
        Anyone holding the private key can impersonate any site to a device that trusts this CA.

        macOS (system keychain):
          sudo security add-trusted-cert -d -r trustRoot -k /Library/Keychains/System.keychain '\(pem)'
        Linux (Debian/Ubuntu):
          sudo cp '\(pem)' /usr/local/share/ca-certificates/ampscope-ca.crt && sudo update-ca-certificates
        Linux (Fedora/RHEL):
          sudo cp '\(pem)' /etc/pki/ca-trust/source/anchors/ampscope-ca.pem && sudo update-ca-trust
        Windows (elevated prompt; `ampscope ca export` writes the .cer):
          certutil -addstore root ampscope-ca.cer
        Chrome / Chromium on Linux (NSS database; ~/.local/share/pki/nssdb from Chrome 146 if ~/.pki/nssdb does not exist):
          certutil -d sql:$HOME/.pki/nssdb -A -t "C,," -n ampscope -i '\(pem)'
        Chrome on macOS and Windows uses the system store above.
        Firefox (its own store): Settings > Privacy & Security > Certificates > View Certificates >
          Authorities > Import '\(pem)', tick "Trust this CA to identify websites"
          (or set security.enterprise_roots.enabled to use the system store).
        iOS Simulator:
          xcrun simctl keychain booted add-root-cert '\(pem)'
        iOS device: AirDrop or mail ampscope-ca.pem to it, open it in Safari/Files, install the
          profile (Settings > General > VPN & Device Management), then turn on full trust in
          Settings > General > About > Certificate Trust Settings.
        Android emulator and device (user CA): copy ampscope-ca.cer to the device
          (adb push ampscope-ca.cer /sdcard/Download/), then Settings > Security > Encryption &
          credentials > Install a certificate > CA certificate. Apps targeting API 24+ trust user
          CAs only in builds that opt in: add res/xml/network_security_config.xml with
            <network-security-config><debug-overrides><trust-anchors>
              <certificates src="user"/></trust-anchors></debug-overrides></network-security-config>
          and android:networkSecurityConfig="@xml/network_security_config" on <application>
          (debug-overrides apply to debuggable builds only). Emulator proxy: emulator -http-proxy
          127.0.0.1:8787, or the Wi-Fi proxy 10.0.2.2:8787.
        Python (amplitude-analytics uses urllib; requests uses its own bundle):
          HTTPS_PROXY=http://127.0.0.1:8787 SSL_CERT_FILE='\(pem)' REQUESTS_CA_BUNDLE='\(pem)' python app.py
        Node (analytics-node): NODE_USE_ENV_PROXY=1 HTTPS_PROXY=http://127.0.0.1:8787 NODE_EXTRA_CA_CERTS='\(pem)'
          (Node's http/https read HTTPS_PROXY only with NODE_USE_ENV_PROXY, on Node versions that support it).

        """
    }
}

/// The proxy banner's lines about proxy mode and HTTPS.
enum ProxyTLSBanner {
    static func text(bound: ProxyServer.BoundAddress, tls: ProxyServer.BoundAddress?, config: ProxyConfiguration) -> String {
        let base = bound.baseURL
        var s = "as a proxy (no change to the app): HTTPS_PROXY=\(base), or the system / Wi-Fi proxy \(String(base.dropFirst("http://".count)))\n"
        if let i = config.interception {
            s += "  captured through it: \(i.hosts.joined(separator: ", ")); every other host is tunnelled untouched\n"
            s += "  CA to trust: \(i.ca.certificatePath)\(FileManager.default.fileExists(atPath: i.ca.certificatePath) ? "" : " (created on first use; `ampscope ca show` makes it now and says how to trust it)")\n"
        }
        if let tls {
            s += "HTTPS: \(tls.httpsURL)/2/httpapi\n"
        }
        return s + "\n"
    }

    static func write(_ err: ProxyStderr, bound: ProxyServer.BoundAddress, tls: ProxyServer.BoundAddress?, config: ProxyConfiguration) {
        err.write(text(bound: bound, tls: tls, config: config))
    }
}
