export interface EncodeOptions {
  /** Add the special tokens the tokenizer's post-processor adds (LLaMA's BOS). Default false. */
  readonly addSpecialTokens?: boolean;
}

export interface DecodeOptions {
  /** Leave out special added tokens (`<|endoftext|>`, `<s>`, ...). Default false. */
  readonly skipSpecialTokens?: boolean;
}

export interface Tokenizer {
  readonly vocabSize: number;
  readonly bosTokenId: number | undefined;
  readonly eosTokenId: number | undefined;
  /** undefined when the files define no pad token (the model code then picks eos). */
  readonly padTokenId: number | undefined;
  encode(text: string, options?: EncodeOptions): number[];
  decode(ids: readonly number[], options?: DecodeOptions): string;
  tokenToId(token: string): number | undefined;
  idToToken(id: number): string | undefined;
  /**
   * Token ids for `prompt` and for `target` appended after it as `prompt + " " + target`, split so that
   * promptIds ++ targetIds is a faithful tokenization and no token straddles the boundary. No space is
   * inserted when the prompt ends with whitespace or the target starts with whitespace (or either is
   * empty). `addSpecialTokens` puts the post-processor's prefix (BOS) before the prompt ids and its suffix
   * after the target ids.
   */
  encodePair(
    prompt: string,
    target: string,
    options?: EncodeOptions,
  ): { promptIds: number[]; targetIds: number[] };
  /** tokenizer.json serialization (Hugging Face format) that `fromTokenizerJson` reads back. */
  toJSON(): object;
}

/** Explicit special tokens (from tokenizer_config.json); null means "none", undefined means "infer". */
export interface SpecialTokenOverrides {
  readonly bosToken?: string | null;
  readonly eosToken?: string | null;
  readonly padToken?: string | null;
}
