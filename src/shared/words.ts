/** Words in messages every layer writes (errors, decision reasons, reports, the console). */

/** "1 side core", "2 side cores": a count with its noun (the noun's last word takes the plural). */
export function plural(n: number, noun: string, pluralNoun = `${noun}s`): string {
  return `${n} ${n === 1 ? noun : pluralNoun}`;
}
