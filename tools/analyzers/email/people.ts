/** Whether a display name names a person, however the name is dressed ("Chen, Margaret (CEO)"). */
const words = (text: string) =>
  text
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .split(/[^a-z]+/)
    .filter(Boolean);

/** True when every word of `person` is a word of `displayName`, in any order. */
export function namesPerson(displayName: string, person: string): boolean {
  const shown = new Set(words(displayName));
  const wanted = words(person);
  return wanted.length > 0 && wanted.every((w) => shown.has(w));
}
