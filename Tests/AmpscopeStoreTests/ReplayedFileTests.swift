import Foundation
import Testing
@testable import AmpscopeStore

@Suite("Replayed files read back by offset")
struct ReplayedFileTests {
    private static func temporaryFile(_ text: String) throws -> String {
        let path = NSTemporaryDirectory() + "ampscope-replayed-\(UInt32.random(in: 0...UInt32.max)).jsonl"
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test("reads bytes at an offset, fewer at the end, and keeps reading a file deleted after it was opened")
    func readsByOffset() throws {
        let path = try Self.temporaryFile("first line\nsecond line\n")
        defer { unlink(path) }
        let file = ReplayedFile(path)
        #expect(file.name == (path as NSString).lastPathComponent)
        #expect(try file.read(at: 11, count: 6) == Array("second".utf8))
        #expect(try file.read(at: 18, count: 100) == Array("line\n".utf8), "a read past the end gives what there is")
        #expect(try file.read(at: 0, count: 0).isEmpty)
        // The descriptor is kept: the file as it was stays readable after it is gone.
        #expect(unlink(path) == 0)
        #expect(try file.read(at: 0, count: 5) == Array("first".utf8))
    }

    @Test("a file that cannot be opened is an error naming it")
    func missingFile() {
        let file = ReplayedFile("/nonexistent/ampscope/replayed.jsonl")
        #expect {
            _ = try file.read(at: 0, count: 10)
        } throws: { error in
            "\(error)".contains("/nonexistent/ampscope/replayed.jsonl")
        }
    }
}
