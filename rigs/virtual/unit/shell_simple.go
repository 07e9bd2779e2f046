package unit

import "strings"

// U-Boot's simple command parser (common/cli_simple.c), used when the
// bootloader is built without hush: a line is split on ';' outside single
// quotes (a backslash protects the next character), then each command's
// macros are expanded (only ${name} and $(name); '$' followed by anything
// else, "$?" included, stays as typed; single quotes protect and are
// removed) and the result is split on blanks. There is no exit status and
// double quotes are ordinary characters.

func splitSimpleCommands(line string) ([]string, error) {
	var out []string
	inQ := false
	start := 0
	for i := 0; i < len(line); i++ {
		switch c := line[i]; {
		case c == '\'' && (i == 0 || line[i-1] != '\\'):
			inQ = !inQ
		case c == ';' && !inQ && (i == 0 || line[i-1] != '\\'):
			out = append(out, line[start:i])
			start = i + 1
		}
	}
	return append(out, line[start:]), nil
}

func splitSimpleArgs(cmd string, lookup func(string) (string, bool)) ([]string, error) {
	var b strings.Builder
	inQ := false
	for i := 0; i < len(cmd); i++ {
		c := cmd[i]
		prevBS := i > 0 && cmd[i-1] == '\\'
		switch {
		case c == '\'' && !prevBS:
			inQ = !inQ
		case inQ:
			b.WriteByte(c)
		case c == '$' && !prevBS && i+1 < len(cmd) && (cmd[i+1] == '{' || cmd[i+1] == '('):
			closer := byte('}')
			if cmd[i+1] == '(' {
				closer = ')'
			}
			end := strings.IndexByte(cmd[i+2:], closer)
			if end < 0 {
				b.WriteString(cmd[i:]) // unterminated: left as typed
				i = len(cmd)
				continue
			}
			name := cmd[i+2 : i+2+end]
			if name != "?" { // no such variable in the simple parser
				if v, ok := lookup(name); ok {
					b.WriteString(v)
				}
			}
			i += 2 + end
		default:
			b.WriteByte(c)
		}
	}
	return strings.Fields(b.String()), nil
}
