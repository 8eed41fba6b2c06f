import Crypto

/// amplitude-js signs each upload: `checksum` = lower-case hex MD5 of `v + client + e + upload_time`
/// (the field texts as sent). A mismatch means the body was altered on the way.
public struct BadChecksumRule: RequestRule {
    public var info: RuleInfo { RuleInfo(id: RuleID.badChecksum, severity: .error, scope: .request,
                               summary: "The legacy upload's MD5 checksum does not match its fields.", effect: .badChecksum) }
    public init() {}

    /// The checksum amplitude-js would send for these fields.
    public static func expected(v: String, client: String, e: String, uploadTime: String) -> String {
        let digest = Insecure.MD5.hash(data: Array((v + client + e + uploadTime).utf8))
        return digest.map { String(hex2($0).lowercased()) }.joined()
    }

    public func check(_ r: DecodedRequest, _ context: ValidationContext, _ out: inout FindingSink) {
        guard r.endpoint == .legacy, r.decoder == LegacyUploadDecoder().id else { return }
        guard let client = r.formValue("client"), let e = r.formValue("e") else { return }
        guard let sent = r.formValue("checksum") else {
            out.add(info, "/checksum", "the upload has no checksum; amplitude-js always sends one, and Amplitude answers 'bad_checksum'")
            return
        }
        let want = Self.expected(v: r.formValue("v") ?? "", client: client, e: e, uploadTime: r.formValue("upload_time") ?? "")
        if sent.asciiLowercased != want {
            out.add(info, "/checksum", "checksum '\(Sanitize.inline(sent, limit: 40))' does not match the fields (expected \(want)); Amplitude answers 'bad_checksum'")
        }
    }
}
