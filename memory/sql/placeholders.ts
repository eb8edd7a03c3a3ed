/**
 * SQLite's `?` placeholders as PostgreSQL's `$1, $2…`, so one statement text serves both engines. A `?`
 * inside a string literal, a quoted identifier, a comment or a dollar-quoted body is text, not a
 * placeholder, and stays as it is.
 */
export function numberedPlaceholders(sql: string): { text: string; count: number } {
  let text = "";
  let count = 0;
  let i = 0;
  const copyUntil = (end: string, from: number): number => {
    const stop = sql.indexOf(end, from);
    const next = stop === -1 ? sql.length : stop + end.length;
    text += sql.slice(i, next);
    return next;
  };
  while (i < sql.length) {
    const char = sql[i];
    const rest = sql.slice(i, i + 2);
    const dollarTag = char === "$" ? /^\$[A-Za-z_]*\$/.exec(sql.slice(i)) : null;
    // A doubled quote inside a literal ('it''s') closes and reopens it: the scan stays in step.
    if (char === "'") i = copyUntil("'", i + 1);
    else if (char === '"') i = copyUntil('"', i + 1);
    else if (rest === "--") i = copyUntil("\n", i + 2);
    else if (rest === "/*") i = copyUntil("*/", i + 2);
    else if (dollarTag) i = copyUntil(dollarTag[0], i + dollarTag[0].length);
    else if (char === "?") {
      text += `$${++count}`;
      i++;
    } else {
      text += char;
      i++;
    }
  }
  return { text, count };
}
