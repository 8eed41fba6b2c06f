// AmpscopeTerminal: under construction
