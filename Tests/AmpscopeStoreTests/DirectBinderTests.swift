@testable import AmpscopeStore
import Foundation
import GRDB
import Testing

@Suite struct DirectBinderTests {
    static let values: [DatabaseValue] = [
        .null, 42.databaseValue, Int64.min.databaseValue, 2.5.databaseValue, "".databaseValue,
        "héllo \u{0} w\u{2028} 🎉".databaseValue, Data().databaseValue, Data([0, 1, 0, 0xFF]).databaseValue,
    ]

    /// Every kind of value is stored with its bytes and the SQLite type GRDB's own binding gives
    /// it: NULL stays NULL, an empty string and an empty blob are not NULL, and a string with a NUL
    /// byte keeps what follows it (GRDB's binding stops there).
    @Test func valuesReadBackAsThroughGRDB() throws {
        let q = try DatabaseQueue()
        try q.write { db in
            let columns = (0..<Self.values.count).map { "c\($0)" }
            try db.execute(sql: "CREATE TABLE t (id INTEGER PRIMARY KEY, \(columns.joined(separator: ", ")))")
            let insert = "INSERT INTO t (\(columns.joined(separator: ", "))) VALUES (\(columns.map { _ in "?" }.joined(separator: ", ")))"
            // Twice through the same statement (it is reset between rows), then once through GRDB.
            for _ in 0..<2 {
                var binder = DirectBinder(try db.cachedStatement(sql: insert))
                for v in Self.values { binder.bind(v) }
                try binder.run(db)
            }
            try db.execute(sql: insert, arguments: StatementArguments(Self.values))
            // hex(): a text's bytes past a NUL too (GRDB reads text as a C string).
            let read = columns.map { "hex(\($0)), typeof(\($0))" }.joined(separator: ", ")
            let rows = try Row.fetchAll(db, sql: "SELECT \(read) FROM t ORDER BY id")
            #expect(rows.count == 3)
            for i in Self.values.indices {
                let expected: String = switch Self.values[i].storage {
                case .null: ""
                case .int64(let v): String(v).utf8.map { String(format: "%02X", $0) }.joined()
                case .double(let v): String(v).utf8.map { String(format: "%02X", $0) }.joined()
                case .string(let v): v.utf8.map { String(format: "%02X", $0) }.joined()
                case .blob(let v): v.map { String(format: "%02X", $0) }.joined()
                }
                #expect(rows[0][2 * i] as String == expected, "column \(i)")
                // GRDB binds a string up to its first NUL; the binder keeps every byte.
                if i != 5 { #expect(rows[0][2 * i] as String == rows[2][2 * i] as String, "column \(i) as through GRDB") }
                #expect(rows[0][2 * i + 1] as String == rows[2][2 * i + 1] as String, "type of column \(i)")
            }
            #expect(rows[1] == rows[0])
            let types = (0..<Self.values.count).map { rows[0][2 * $0 + 1] as String }
            #expect(types == ["null", "integer", "integer", "real", "text", "text", "blob", "blob"])
        }
    }

    /// A failing insert is GRDB's error, and the statement works again after it.
    @Test func aFailedStepThrowsAndTheStatementStillWorks() throws {
        let q = try DatabaseQueue()
        try q.write { db in
            try db.execute(sql: "CREATE TABLE t (a TEXT NOT NULL)")
            let sql = "INSERT INTO t (a) VALUES (?)"
            var bad = DirectBinder(try db.cachedStatement(sql: sql))
            bad.bind(.null)
            let error = #expect(throws: DatabaseError.self) { try bad.run(db) }
            #expect(error?.resultCode == .SQLITE_CONSTRAINT)
            #expect(error?.message?.contains("NOT NULL") == true, "\(String(describing: error))")
            var good = DirectBinder(try db.cachedStatement(sql: sql))
            good.bind("ok".databaseValue)
            try good.run(db)
            #expect(try String.fetchAll(db, sql: "SELECT a FROM t") == ["ok"])
        }
    }
}
