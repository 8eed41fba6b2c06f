/// The explicit list of rules ampscope runs, in reporting order.
public struct RuleRegistry: Sendable {
    public let requestRules: [any RequestRule]
    public let recordRules: [any RecordRule]
    /// Rules for Segment requests (`/v1/...`). A Segment request is judged by these alone: the
    /// Amplitude rules judge the requests its calls are mapped to (`SegmentMapper`).
    public let segmentRules: [any RequestRule]
    /// `recordRules[i].info.dependsOnHistory`, read once here: a rule's `info` is built on each
    /// call (strings and all), and `Validator.prevalidate` needs the flags for every request.
    let recordRuleDependsOnHistory: [Bool]
    /// Every rule's description, including decode-time ones, by id.
    public let infos: [RuleInfo]
    private let byID: [String: RuleInfo]

    public init(requestRules: [any RequestRule], recordRules: [any RecordRule], segmentRules: [any RequestRule] = [],
                decodeProblems: [RuleInfo] = DecodeProblems.all, profileRules: [RuleInfo] = ProfileRules.infos,
                planRules: [RuleInfo] = PlanRules.infos) {
        self.requestRules = requestRules
        self.recordRules = recordRules
        self.segmentRules = segmentRules
        self.recordRuleDependsOnHistory = recordRules.map(\.info.dependsOnHistory)
        let all = decodeProblems + requestRules.map(\.info) + recordRules.map(\.info) + segmentRules.map(\.info) + profileRules + planRules
        self.infos = all
        var d: [String: RuleInfo] = [:]
        for i in all { d[i.id] = i }
        self.byID = d
    }

    public func info(_ id: String) -> RuleInfo? { byID[id] }

    public static let standard = RuleRegistry(
        requestRules: [
            MethodNotAllowedRule(),
            MissingAPIKeyRule(),
            InvalidAPIKeyRule(),
            APIKeyFormatRule(),
            MissingEventsRule(),
            PayloadTooLargeRule(),
            TooManyEventsRule(),
            ContentTypeRule(),
            BadChecksumRule(),
            InvalidOptionsRule(),
            HTTPV1DeprecatedRule(),
        ],
        recordRules: [
            EventNotObjectRule(),
            MissingEventTypeRule(),
            MissingIDRule(),
            IDTooShortRule(),
            ReservedIDRule(),
            IDNotStringRule(),
            TimeNotMsRule(),
            SessionIDNotMsRule(),
            FieldTypeRule(),
            StringTooLongRule(),
            NestedArrayRule(),
            TooDeepRule(),
            TooManyGroupsRule(),
            UnknownFieldRule(),
            ReservedEventTypeRule(),
            RevenueIncompleteRule(),
            DuplicateInsertIDRule(),
            MissingInsertIDRule(),
            MappingIncompleteRule(),
            MixedUserPropertiesRule(),
            PropertyInMultipleOpsRule(),
            ClearAllNotAloneRule(),
            ClearAllRule(),
            AddNonNumericRule(),
            UnknownOperationRule(),
            OpsOnNonIdentifyRule(),
            EmptyIdentifyRule(),
            GroupIdentifyIncompleteRule(),
        ],
        segmentRules: [
            SegmentMissingWriteKeyRule(),
            SegmentRequestTooLargeRule(),
            SegmentBatchMissingRule(),
            SegmentTooManyCallsRule(),
            SegmentCallTooLargeRule(),
            SegmentUnknownTypeRule(),
            SegmentMissingIDRule(),
            SegmentMissingFieldRule(),
            SegmentMessageIDRule(),
            SegmentNotObjectRule(),
            SegmentBadTimestampRule(),
        ]
    )
}
