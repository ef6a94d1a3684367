// Scaling arithmetic of the GPU worker service, shared by infra/gpu-scaling.ts (which turns it into AWS
// policies) and its tests. The metric is backlog per task: visible jobs ÷ the service's tasks. Tasks are counted
// as ECS's desired count, not only the running ones, so tasks still starting (minutes on a fresh GPU instance)
// count: otherwise the metric reads 0 during a wake-up and target tracking would scale the service straight back
// in. Target tracking holds the metric near the target; it cannot act from zero tasks (it multiplies the
// current count), so a step policy on "visible jobs while the service has no task" sets an exact count instead.

/** Application Auto Scaling accepts at most 20 step adjustments per policy. */
export const MAX_STEP_ADJUSTMENTS = 20;

export function backlogPerTask(visible: number, tasks: number): number {
  if (visible <= 0) return 0;
  return tasks > 0 ? visible / tasks : Number.POSITIVE_INFINITY;
}

export interface DesiredTasksInput {
  visible: number;
  targetBacklogPerTask: number;
  minTasks: number;
  maxTasks: number;
}

/** The task count target tracking converges to: enough tasks that each has at most the target waiting. */
export function desiredTasks(input: DesiredTasksInput): number {
  const needed = Math.ceil(Math.max(0, input.visible) / input.targetBacklogPerTask);
  return Math.min(input.maxTasks, Math.max(input.minTasks, needed));
}

/**
 * The CloudWatch metric-math expressions, with `visible` (SQS ApproximateNumberOfMessagesVisible) and `tasks`
 * (Container Insights DesiredTaskCount) as the query ids. FILL counts a missing task datapoint as zero.
 */
export const BACKLOG_PER_TASK_EXPRESSION = 'IF(FILL(tasks, 0) > 0, visible / FILL(tasks, 0), 0)';
export const VISIBLE_WHILE_IDLE_EXPRESSION = 'IF(FILL(tasks, 0) < 1, visible, 0)';
/** The wake alarm fires when the expression is at least this (one visible job and no task). */
export const WAKE_THRESHOLD = 1;

export interface StepAdjustment {
  /** Bounds relative to WAKE_THRESHOLD, as Application Auto Scaling expects; upper null = unbounded. */
  lower: number;
  upper: number | null;
  /** Exact task count to set. */
  tasks: number;
}

/**
 * Steps for the wake-from-zero policy: visible jobs v ≥ 1 with no task → ceil(v / target) tasks,
 * capped at maxTasks. Step k covers v − 1 ∈ [(k−1)·target, k·target); the last step is open-ended. Past the
 * 20-step limit the wake stops at 20 tasks and target tracking takes over once they run.
 */
export function wakeFromZeroSteps(targetBacklogPerTask: number, maxTasks: number): StepAdjustment[] {
  if (!Number.isInteger(targetBacklogPerTask) || targetBacklogPerTask < 1) throw new RangeError('targetBacklogPerTask must be a positive integer');
  if (!Number.isInteger(maxTasks) || maxTasks < 1) throw new RangeError('maxTasks must be a positive integer');
  const stepCount = Math.min(maxTasks, MAX_STEP_ADJUSTMENTS);
  const steps: StepAdjustment[] = [];
  for (let k = 1; k <= stepCount; k += 1) {
    const last = k === stepCount;
    steps.push({
      lower: (k - 1) * targetBacklogPerTask,
      upper: last ? null : k * targetBacklogPerTask,
      tasks: k,
    });
  }
  return steps;
}

/** What the step policy does for a metric value: the matching step's task count, or null below threshold. */
export function applySteps(steps: readonly StepAdjustment[], metric: number): number | null {
  const relative = metric - WAKE_THRESHOLD;
  if (relative < 0) return null;
  const step = steps.find((s) => relative >= s.lower && (s.upper === null || relative < s.upper));
  return step ? step.tasks : null;
}

/** Instances the capacity provider needs for a task count, one task per GPU. */
export function instancesForTasks(tasks: number, gpusPerInstance: number): number {
  return Math.ceil(Math.max(0, tasks) / gpusPerInstance);
}

/**
 * Lambda event source mappings need the queue's visibility timeout to be at least six times the function
 * timeout (AWS guidance), so a batch retried after throttling is not delivered twice meanwhile.
 */
export function queueVisibilityForFunction(functionTimeoutSeconds: number): number {
  return 6 * functionTimeoutSeconds;
}
