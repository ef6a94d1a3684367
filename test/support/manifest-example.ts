// A complete, valid manifest (models/BUNDLE.md) for tests that need one without a bundle on disk.
export function exampleManifestJson(): { files: Record<string, unknown>; [key: string]: unknown } {
  const sha = 'a'.repeat(64);
  const kv = (prefix: string) => [0, 1].flatMap((i) => [`${prefix}.${i}.key`, `${prefix}.${i}.value`]);
  return {
    format: 1,
    name: 'example',
    version: '1.0.0',
    image: { size: 64, channels: 3, pixel_range: [-1, 1] },
    image_tokens: 3,
    image_grid: [1, 3],
    embed_dim: 8,
    hidden_size: 8,
    num_layers: 2,
    num_heads: 2,
    head_dim: 4,
    max_positions: 64,
    vocab_size: 40,
    special_tokens: { boi: 4, eoi: 5, image_pad: 6, prefill: 7, im_start: 2, im_end: 3, pad: 0 },
    chat_template: {
      default_system: 'You are a helpful assistant.',
      turn_prefix: '<|im_start|>{role}\n',
      turn_suffix: '<|im_end|>\n',
      image: '<|vision_start|>{image}<|vision_end|>',
      generation_prompt: '<|im_start|>assistant\n',
    },
    decoder: { space: 'pixels', channels: 3, height: 64, width: 64 },
    defaults: { generation: { steps: 20, guidance: 3 }, editing: { steps: 20, guidance: 1 }, temperature: 0, top_p: 1, max_tokens: 64 },
    files: {
      tokenizer: { path: 'tokenizer.json', sha256: sha },
      vision_encoder: { path: 'vision_encoder.onnx', sha256: sha, inputs: ['pixel_values'], outputs: ['image_embeds'] },
      token_embedding: { path: 'token_embedding.onnx', sha256: sha, inputs: ['input_ids'], outputs: ['inputs_embeds'] },
      transformer: {
        path: 'transformer.onnx',
        sha256: sha,
        inputs: ['inputs_embeds', 'attention_mask', 'position_ids', ...kv('past_key_values')],
        outputs: ['logits', 'image_embeds', ...kv('present')],
      },
      gen_decoder: { path: 'gen_decoder.onnx', sha256: sha, inputs: ['sample', 'timestep', 'condition', 'drop_condition'], outputs: ['velocity'] },
      edit_decoder: { path: 'edit_decoder.onnx', sha256: sha, inputs: ['sample', 'timestep', 'condition', 'source', 'drop_condition'], outputs: ['velocity'] },
    },
  };
}
