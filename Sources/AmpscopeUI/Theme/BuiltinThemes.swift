/// The themes shipped in `themes/`, compiled in so the binary works without the directory.
///
/// Generated from `themes/*.theme`; a test checks that both stay identical.
public enum BuiltinThemes {
    public static let names = ["dark", "light", "high-contrast", "mono"]

    public static let sources: [String: String] = [
        "dark": """
        # ampscope theme "dark": for terminals with a dark background (the default theme).
        #
        # role = FOREGROUND [on BACKGROUND] [bold] [dim] [italic] [underline] [reverse]
        # Colours: default (the terminal's own), a name (red, bright-blue, gray...), 0-255,
        # #rrggbb or #rgb. After a slash, the colour to use on 16-colour terminals.
        # Roles left out use their parent role (see Docs/themes.md).

        text                    = default
        text.dim                = 244/bright-black
        text.escape             = #ff87af/magenta
        header                  = 252/white on 236/black
        header.accent           = #87d7ff/bright-cyan on 236/black bold
        border                  = 240/bright-black
        pane.title              = 246/white
        pane.title.focused      = #87d7ff/bright-cyan bold
        list.header             = 246/bright-black underline
        list.row                = default
        list.selected           = 255/bright-white on 24/blue bold
        list.selected.unfocused = 252/white on 238/bright-black
        list.marked             = #ffd75f/yellow
        list.request            = 244/bright-black italic
        list.time               = 245/bright-black
        list.source             = 109/cyan
        list.type               = default
        list.id                 = 180/yellow
        tab                     = 246/white
        tab.active              = 255/bright-white on 24/blue bold
        severity.error          = #ff5f5f/bright-red bold
        severity.warning        = #ffaf00/yellow
        severity.info           = #5fafff/blue
        severity.ok             = #5faf5f/green
        http.success            = #5faf5f/green
        http.error              = #ff5f5f/bright-red
        json.key                = #87afd7/cyan
        json.string             = #afd787/green
        json.number             = #d7af87/yellow
        json.bool               = #d787d7/magenta
        json.null               = #d787d7/magenta italic
        json.punct              = 244/bright-black
        json.folded             = 244/bright-black italic
        json.cursor             = 255/bright-white on 24/blue
        json.highlight          = 16/black on #ffaf00/yellow bold
        path                    = #87d7ff/cyan
        search.match            = 16/black on #ffd75f/yellow
        section.title           = 255/bright-white bold underline
        status.bar              = 252/white on 238/bright-black
        status.follow           = 16/black on #5faf5f/green bold
        status.paused           = 16/black on #ffaf00/yellow bold
        status.filter           = #ffd75f/bright-yellow on 238/bright-black
        status.count            = 255/bright-white on 238/bright-black bold
        hint.key                = #87d7ff/bright-cyan bold
        hint.text               = 246/white
        message                 = default
        message.error           = #ff5f5f/bright-red bold
        prompt                  = default
        prompt.error            = #ff5f5f/bright-red
        overlay                 = 252/white on 235/black
        overlay.border          = #87d7ff/cyan on 235/black
        overlay.title           = 255/bright-white on 235/black bold
        overlay.key             = #ffd75f/yellow on 235/black bold
        empty.title             = default bold
        empty.key               = #87d7ff/bright-cyan bold
        """,
        "light": """
        # ampscope theme "light": for terminals with a light background.
        #
        # role = FOREGROUND [on BACKGROUND] [bold] [dim] [italic] [underline] [reverse]
        # See dark.theme and Docs/themes.md for the format and the list of roles.

        text                    = default
        text.dim                = 243/bright-black
        text.escape             = 125/magenta
        header                  = 235/black on 253/white
        header.accent           = 25/blue on 253/white bold
        border                  = 248/bright-black
        pane.title              = 240/black
        pane.title.focused      = 25/blue bold
        list.header             = 240/bright-black underline
        list.row                = default
        list.selected           = 231/bright-white on 25/blue bold
        list.selected.unfocused = 235/black on 252/white
        list.marked             = 130/magenta bold
        list.request            = 243/bright-black italic
        list.time               = 243/bright-black
        list.source             = 30/cyan
        list.type               = default
        list.id                 = 94/yellow
        tab                     = 240/black
        tab.active              = 231/bright-white on 25/blue bold
        severity.error          = 160/red bold
        severity.warning        = 130/yellow bold
        severity.info           = 25/blue
        severity.ok             = 28/green
        http.success            = 28/green
        http.error              = 160/red
        json.key                = 25/blue
        json.string             = 28/green
        json.number             = 130/magenta
        json.bool               = 90/magenta
        json.null               = 90/magenta italic
        json.punct              = 243/bright-black
        json.folded             = 243/bright-black italic
        json.cursor             = 231/bright-white on 25/blue
        json.highlight          = 16/black on 220/yellow bold
        path                    = 25/blue
        search.match            = 16/black on 228/yellow
        section.title           = 16/black bold underline
        status.bar              = 235/black on 252/white
        status.follow           = 231/bright-white on 28/green bold
        status.paused           = 16/black on 214/yellow bold
        status.filter           = 90/magenta on 252/white bold
        status.count            = 16/black on 252/white bold
        hint.key                = 25/blue bold
        hint.text               = 240/black
        message                 = default
        message.error           = 160/red bold
        prompt                  = default
        prompt.error            = 160/red
        overlay                 = 235/black on 255/white
        overlay.border          = 25/blue on 255/white
        overlay.title           = 16/black on 255/white bold
        overlay.key             = 25/blue on 255/white bold
        empty.title             = default bold
        empty.key               = 25/blue bold
        """,
        "high-contrast": """
        # ampscope theme "high-contrast": strong colours from the 16 standard ones, bold where it helps.
        #
        # role = FOREGROUND [on BACKGROUND] [bold] [dim] [italic] [underline] [reverse]
        # See dark.theme and Docs/themes.md for the format and the list of roles.

        text                    = default
        text.dim                = default
        text.escape             = bright-magenta bold underline
        header                  = black on bright-white bold
        header.accent           = blue on bright-white bold
        border                  = default
        pane.title              = default bold
        pane.title.focused      = bright-yellow bold underline
        list.header             = default bold underline
        list.selected           = black on bright-yellow bold
        list.selected.unfocused = black on bright-white
        list.marked             = bright-cyan bold
        list.request            = default italic
        list.time               = default
        list.source             = bright-cyan
        list.id                 = bright-yellow
        tab                     = default
        tab.active              = black on bright-yellow bold
        severity.error          = bright-white on red bold
        severity.warning        = black on bright-yellow bold
        severity.info           = bright-cyan bold
        severity.ok             = bright-green bold
        http.success            = bright-green bold
        http.error              = bright-red bold
        json.key                = bright-cyan bold
        json.string             = bright-green
        json.number             = bright-yellow
        json.bool               = bright-magenta
        json.null               = bright-magenta
        json.punct              = default
        json.folded             = default underline
        json.cursor             = black on bright-white bold
        json.highlight          = black on bright-yellow bold
        path                    = bright-cyan bold
        search.match            = black on bright-cyan bold
        section.title           = bright-white bold underline
        status.bar              = black on bright-white
        status.follow           = black on bright-green bold
        status.paused           = black on bright-yellow bold
        status.filter           = black on bright-cyan bold
        status.count            = black on bright-white bold
        hint.key                = bright-yellow bold
        hint.text               = default
        message.error           = bright-white on red bold
        prompt.error            = bright-red bold
        overlay                 = bright-white on black
        overlay.border          = bright-yellow on black bold
        overlay.title           = bright-white on black bold underline
        overlay.key             = bright-yellow on black bold
        empty.title             = default bold
        empty.key               = bright-yellow bold
        """,
        "mono": """
        # ampscope theme "mono": no colours at all, only bold, dim, underline and reverse.
        # Used when NO_COLOR is set or the terminal has no colours.
        #
        # role = FOREGROUND [on BACKGROUND] [bold] [dim] [italic] [underline] [reverse]
        # See Docs/themes.md for the list of roles.

        text                    = default
        text.dim                = dim
        text.escape             = underline
        header                  = reverse
        header.accent           = reverse bold
        border                  = default
        pane.title              = default
        pane.title.focused      = bold underline
        list.header             = underline
        list.selected           = reverse bold
        list.selected.unfocused = reverse
        list.marked             = bold
        list.request            = dim
        tab                     = default
        tab.active              = reverse bold
        severity.error          = bold
        severity.warning        = underline
        severity.info           = default
        severity.ok             = default
        json.folded             = dim
        json.cursor             = reverse
        json.highlight          = reverse bold underline
        search.match            = reverse underline
        section.title           = bold underline
        status.bar              = reverse
        status.follow           = reverse bold
        status.paused           = reverse bold
        status.filter           = reverse bold
        status.count            = reverse bold
        hint.key                = bold
        message.error           = bold
        prompt.error            = bold
        overlay                 = default
        overlay.title           = bold
        overlay.key             = bold
        empty.title             = bold
        empty.key               = bold
        """,
    ]
}
