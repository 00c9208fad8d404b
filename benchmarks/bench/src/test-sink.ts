/** Test-only: a write stream that keeps what is written, for main()'s stdout and stderr. */
export function sink(): NodeJS.WriteStream & { text: string } {
  const stream = {
    text: '',
    isTTY: false,
    write(chunk: string) {
      stream.text += chunk;
      return true;
    },
  };
  return stream as unknown as NodeJS.WriteStream & { text: string };
}
