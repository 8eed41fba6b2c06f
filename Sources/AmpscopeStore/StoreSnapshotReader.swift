import AmpscopeCore

/// Reads every capture of an ampscope store without writing to it (replaying another session).
public struct StoreSnapshotReader {
    private let database: CaptureDatabase
    private let ingest: Ingest

    public init(path: String, ingest: Ingest = Ingest()) throws {
        database = try CaptureDatabase(path: path, readOnly: true)
        self.ingest = ingest
    }

    /// Every capture in id order, with the findings and answers it was stored with.
    public func all() throws -> [Processed] {
        try database.rowIDs().compactMap { rowID in
            try database.load(rowID: rowID, decoders: ingest.decoders, options: ingest.decodeOptions)
        }
    }
}
