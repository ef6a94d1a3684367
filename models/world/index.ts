// The world's programmatic API, for the eval (npm run eval) and tests.
export * from './config.js';
export { createWorldRng, deriveSeed, type Rng } from './rng.js';
export { randomScene, positionOf, type Scene, type SceneShape } from './scene.js';
export { renderScene, type RgbImage } from './render.js';
export { encodePng, decodeImage } from './png.js';
export { sampleTask, TASK_KINDS, type Task, type TaskKind, type TaskMessage, type TaskPart } from './tasks.js';
export { sampleEdit, EDIT_OPS, type Edit, type EditOp } from './edits.js';
export { sampleQuestion, QUESTION_KINDS, type Question, type QuestionKind } from './questions.js';
export { describeScene } from './language.js';
export { analyseImage, type Analysis, type DetectedShape } from './analyse.js';
export { readScene } from './read-scene.js';
export {
  backgroundTv,
  nearestBackground,
  promptDiversity,
  summariseDiversity,
  worldDiversity,
  WORLD_JITTER_STD,
  type DiversityFigures,
  type PromptDiversity,
} from './diversity.js';
export { scoreGeneration, scoreEdit, scoreAnswer, type GenerationScore, type EditScore } from './score.js';
export { buildTokenizerJson, specialTokenIds, type SpecialTokenIds, type TokenizerJson } from './build-tokenizer.js';
export { toRecord, type DatasetRecord } from './dataset.js';
export { writeDataset, DEFAULT_MIX, type TaskMix } from './write-dataset.js';
