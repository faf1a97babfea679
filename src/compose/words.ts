/**
 * Splits a command string into words as Compose does for `command: npm run start`: blanks
 * separate words, single quotes are literal, double quotes allow backslash escapes, and a
 * backslash outside quotes escapes the next character. Undefined for an unterminated quote.
 */
export function splitWords(text: string): string[] | undefined {
  const words: string[] = [];
  let word = "";
  let inWord = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charAt(i);
    if (c === "'") {
      const end = text.indexOf("'", i + 1);
      if (end < 0) return undefined;
      word += text.slice(i + 1, end);
      inWord = true;
      i = end;
    } else if (c === '"') {
      let j = i + 1;
      for (; j < text.length && text[j] !== '"'; j++) {
        const d = text.charAt(j);
        const escaped = text.charAt(j + 1);
        if (d === "\\" && ['"', "\\", "$", "`"].includes(escaped)) {
          word += escaped;
          j++;
        } else word += d;
      }
      if (j >= text.length) return undefined;
      inWord = true;
      i = j;
    } else if (c === "\\" && i + 1 < text.length) {
      word += text.charAt(++i);
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = "";
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (inWord) words.push(word);
  return words;
}
