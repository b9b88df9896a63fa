/**
 * The number a flag's value writes in decimal (`12`, `-3`, `0.5`, `.5`, `2e3`), else undefined. `Number()`
 * alone also reads `0x10` as 16, `0b11` as 3 and `0o7` as 7: `--peers 0x10` started 16 peers, not an error.
 */
export function decimal (value: string): number | undefined {
  return /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(value) ? Number(value) : undefined
}
