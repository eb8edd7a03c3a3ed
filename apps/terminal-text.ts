/**
 * Untrusted text (subjects, attachment names, URLs, sender names, vendor strings) made safe for a terminal.
 * A raw ESC or C1 byte starts a control sequence (clear the screen, OSC 8 links, OSC 52 clipboard writes,
 * window titles); a bare CR or a cursor move rewrites a line already printed ("verdict: BENIGN"); bidi
 * overrides reorder what is shown. Each becomes a visible escape such as `\x1b` or `\u202e`.
 */

// C0 controls, DEL, C1 controls; bidi embeddings, overrides and isolates; LRM/RLM/ALM; line and paragraph
// separators, which some terminals and editors treat as line breaks. Matching control characters is the point.
/* eslint-disable no-control-regex */
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
const CONTROL_BUT_NEWLINE =
  /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/* eslint-enable no-control-regex */

function visible(char: string): string {
  const code = char.charCodeAt(0);
  return code < 0x100
    ? `\\x${code.toString(16).padStart(2, "0")}`
    : `\\u${code.toString(16).padStart(4, "0")}`;
}

/**
 * Every control character as a visible escape. `keepNewlines` keeps `\n` for text whose lines the caller
 * built itself; untrusted values are escaped without it, so they cannot start a line of their own.
 */
export function escapeControl(text: string, options: { keepNewlines?: boolean } = {}): string {
  return text.replace(options.keepNewlines ? CONTROL_BUT_NEWLINE : CONTROL, visible);
}

/** Whether `text` holds a control character other than the newline: what a test of the output asserts. */
export function hasControl(text: string): boolean {
  CONTROL_BUT_NEWLINE.lastIndex = 0;
  return CONTROL_BUT_NEWLINE.test(text);
}
