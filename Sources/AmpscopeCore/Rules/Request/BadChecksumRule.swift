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
        switch LegacyChecksum.verdict(r) {
        case .missing?:
            out.add(info, "/checksum", "the upload has no checksum; amplitude-js always sends one, and Amplitude answers 'bad_checksum'")
        case .mismatch(let sent, let want)?:
            out.add(info, "/checksum", "checksum '\(Sanitize.inline(sent, limit: 40))' does not match the fields (expected \(want)); Amplitude answers 'bad_checksum'")
        case .mismatchWhenCaptured?:
            out.add(info, "/checksum", "the checksum did not match the fields when this request was captured; Amplitude answers 'bad_checksum' (this export masks the API key, so the checksum is not recomputed over the mask)")
        case .verified?, .verifiedWhenCaptured?, nil:
            break
        }
    }
}

/// What ampscope found checking an amplitude-js upload's checksum; shown even when it passed
/// ("checksum verified"), so a clean upload says what was checked.
public enum LegacyChecksum: Equatable, Sendable {
    case verified
    case mismatch(sent: String, expected: String)
    case missing
    /// The API key is masked (an export): the verdict of the live run, carried by its `RedactionNote`.
    case verifiedWhenCaptured
    case mismatchWhenCaptured

    /// The verdict for a request: nil when it is no amplitude-js upload (or lacks `client`/`e`).
    public static func verdict(_ r: DecodedRequest) -> LegacyChecksum? {
        guard r.endpoint == .legacy, r.decoder == LegacyUploadDecoder().id else { return nil }
        guard let client = r.formValue("client"), let e = r.formValue("e") else { return nil }
        guard let sent = r.formValue("checksum") else { return .missing }
        if let note = r.redaction, note.masks(client) {
            // Never recompute over the mask: the live run's verdict stands (unknown counts as checked).
            return note.checksumMatched == false ? .mismatchWhenCaptured : .verifiedWhenCaptured
        }
        let want = BadChecksumRule.expected(v: r.formValue("v") ?? "", client: client, e: e, uploadTime: r.formValue("upload_time") ?? "")
        return sent.asciiLowercased == want ? .verified : .mismatch(sent: sent, expected: want)
    }

    /// Stable word for JSON output: `verified`, `mismatch`, `missing`.
    public var word: String {
        switch self {
        case .verified, .verifiedWhenCaptured: return "verified"
        case .mismatch, .mismatchWhenCaptured: return "mismatch"
        case .missing: return "missing"
        }
    }

    /// A line for the Request tab.
    public var label: String {
        switch self {
        case .verified: return "checksum verified (MD5 of v + client + e + upload_time matches)"
        case .mismatch(_, let want): return "checksum does not match (expected \(want))"
        case .missing: return "no checksum"
        case .verifiedWhenCaptured: return "checksum verified when captured (the key is masked here, so it is not recomputed)"
        case .mismatchWhenCaptured: return "checksum did not match when captured (the key is masked here, so it is not recomputed)"
        }
    }
}
