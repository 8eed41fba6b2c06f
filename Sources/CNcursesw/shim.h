#ifndef AMPSCOPE_CNCURSESW_SHIM_H
#define AMPSCOPE_CNCURSESW_SHIM_H
/* SwiftPM drops pkg-config's -D flags, so ask for the wide API explicitly. */
#define NCURSES_WIDECHAR 1
#include <locale.h>
#include <langinfo.h>
#include <wchar.h>
#include <ncursesw/curses.h>

/* Macros and globals that Swift cannot import or may not touch under strict concurrency. */
static const attr_t SHIM_A_NORMAL = A_NORMAL;
static const attr_t SHIM_A_BOLD = A_BOLD;
static const attr_t SHIM_A_DIM = A_DIM;
static const attr_t SHIM_A_REVERSE = A_REVERSE;
static const attr_t SHIM_A_UNDERLINE = A_UNDERLINE;
static const attr_t SHIM_A_ITALIC = A_ITALIC;
static const mmask_t SHIM_ALL_MOUSE_EVENTS = ALL_MOUSE_EVENTS;
static const mmask_t SHIM_REPORT_MOUSE_POSITION = REPORT_MOUSE_POSITION;
static const mmask_t SHIM_BUTTON1_PRESSED = BUTTON1_PRESSED;
static const mmask_t SHIM_BUTTON1_RELEASED = BUTTON1_RELEASED;
static const mmask_t SHIM_BUTTON1_CLICKED = BUTTON1_CLICKED;
static const mmask_t SHIM_BUTTON1_DOUBLE_CLICKED = BUTTON1_DOUBLE_CLICKED;
static const mmask_t SHIM_BUTTON4_PRESSED = BUTTON4_PRESSED;
#ifdef BUTTON5_PRESSED
static const mmask_t SHIM_BUTTON5_PRESSED = BUTTON5_PRESSED;
#else
static const mmask_t SHIM_BUTTON5_PRESSED = 0;
#endif

static inline WINDOW *shim_stdscr(void) { return stdscr; }
static inline int shim_colors(void) { return COLORS; }
static inline int shim_color_pairs(void) { return COLOR_PAIRS; }
static inline int shim_key_f(int n) { return KEY_F(n); }
static inline void shim_set_escdelay(int ms) { set_escdelay(ms); }
static inline attr_t shim_color_pair(int n) { return (attr_t)COLOR_PAIR(n); }
static inline const char *shim_codeset(void) { return nl_langinfo(CODESET); }
#endif
