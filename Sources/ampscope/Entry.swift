import AmpscopeApp

@main
struct Entry {
    static func main() async {
        await AmpscopeCommand.main()
    }
}
