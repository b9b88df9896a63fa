/**
 * How many terminal columns text takes, to line up a table's columns: East Asian Wide and Fullwidth
 * characters (CJK, kana, Hangul, fullwidth forms) and emoji shown as pictures take 2, combining marks and
 * other zero-width characters 0, the rest 1 — counted per grapheme, so an emoji sequence (a flag, a family
 * joined by ZWJ) is one picture of 2 columns. `String.length` counted 文档 as 2 and 🙂 as 2 (UTF-16 units),
 * and é written with a combining accent as 2.
 */

const segmenter = new Intl.Segmenter()
/** East Asian Wide (W) and Fullwidth (F) ranges of Unicode's EastAsianWidth.txt, merged (emoji apart, below). */
const WIDE = /[\u1100-\u115f\u2329\u232a\u2e80-\u303e\u3041-\u33ff\u3400-\u4dbf\u4e00-\u9fff\ua000-\ua4cf\ua960-\ua97f\uac00-\ud7a3\uf900-\ufaff\ufe10-\ufe19\ufe30-\ufe6f\uff00-\uff60\uffe0-\uffe6\u{16fe0}-\u{16fe4}\u{17000}-\u{18cff}\u{1b000}-\u{1b2ff}\u{1f200}-\u{1f2ff}\u{20000}-\u{2fffd}\u{30000}-\u{3fffd}]/u
/** Shown as a picture: emoji presentation by default, or asked for with VS16 (U+FE0F), or a flag. */
const EMOJI = /\p{Emoji_Presentation}|\p{Extended_Pictographic}\ufe0f|\p{Regional_Indicator}/u
/** A grapheme of only marks, format characters (ZWJ, bidi marks: escaped before printing anyway) or a zero-width space. */
const ZERO_WIDTH = /^[\p{Mn}\p{Me}\p{Cf}\u200b]+$/u

export function displayWidth (text: string): number {
  // ASCII, what names mostly are: one column per character.
  if (/^[\x20-\x7e]*$/.test(text)) return text.length
  let width = 0
  for (const { segment } of segmenter.segment(text)) {
    if (ZERO_WIDTH.test(segment)) continue
    width += WIDE.test(segment) || EMOJI.test(segment) ? 2 : 1
  }
  return width
}

/** `text` padded with spaces to `width` columns (as `padEnd` does with UTF-16 units). */
export function padEndColumns (text: string, width: number): string {
  return text + ' '.repeat(Math.max(0, width - displayWidth(text)))
}
