// Scales the worker service on backlog per task (visible jobs ÷ the service's tasks, infra/scaling.ts says
// why desired rather than running). Target tracking holds it at the target; a step policy on "visible jobs
// while the service has no task" wakes it from zero, which target tracking cannot (it multiplies the count). Scale-in never kills a task mid-job: the
// worker sets ECS task scale-in protection while it holds a job, and instances are protected by the capacity
// provider while tasks run on them.
import type { StageConfig } from './config.js';
import type { createGpuCluster } from './gpu-cluster.js';
import type { createGpuService } from './gpu-service.js';
import { BACKLOG_PER_TASK_EXPRESSION, VISIBLE_WHILE_IDLE_EXPRESSION, WAKE_THRESHOLD, wakeFromZeroSteps } from './scaling.js';

export const SCALE_OUT_COOLDOWN_SECONDS = 60;
// Long, because a GPU task costs minutes to start again (instance, image, bundle, warm-up).
export const SCALE_IN_COOLDOWN_SECONDS = 600;

export function createGpuScaling(config: StageConfig, jobsQueue: sst.aws.Queue, gpu: ReturnType<typeof createGpuCluster>, worker: ReturnType<typeof createGpuService>) {
  const target = new aws.appautoscaling.Target('GpuWorkerScaling', {
    serviceNamespace: 'ecs',
    scalableDimension: 'ecs:service:DesiredCount',
    resourceId: $interpolate`service/${gpu.cluster.name}/${worker.service.name}`,
    minCapacity: config.gpu.minTasks,
    maxCapacity: config.gpu.maxTasks,
  });
  const queueName = jobsQueue.nodes.queue.name;

  new aws.appautoscaling.Policy('GpuWorkerBacklog', {
    policyType: 'TargetTrackingScaling',
    serviceNamespace: target.serviceNamespace,
    scalableDimension: target.scalableDimension,
    resourceId: target.resourceId,
    targetTrackingScalingPolicyConfiguration: {
      targetValue: config.gpu.targetBacklogPerTask,
      scaleOutCooldown: SCALE_OUT_COOLDOWN_SECONDS,
      scaleInCooldown: SCALE_IN_COOLDOWN_SECONDS,
      customizedMetricSpecification: {
        metrics: [
          {
            id: 'visible',
            returnData: false,
            metricStat: {
              stat: 'Maximum',
              metric: {
                namespace: 'AWS/SQS',
                metricName: 'ApproximateNumberOfMessagesVisible',
                dimensions: [{ name: 'QueueName', value: queueName }],
              },
            },
          },
          {
            id: 'tasks',
            returnData: false,
            metricStat: {
              stat: 'Maximum',
              metric: {
                namespace: 'ECS/ContainerInsights',
                metricName: 'DesiredTaskCount',
                dimensions: [
                  { name: 'ClusterName', value: gpu.cluster.name },
                  { name: 'ServiceName', value: worker.service.name },
                ],
              },
            },
          },
          { id: 'backlog', label: 'Visible jobs per task', expression: BACKLOG_PER_TASK_EXPRESSION, returnData: true },
        ],
      },
    },
  });

  const wake = new aws.appautoscaling.Policy('GpuWorkerWake', {
    policyType: 'StepScaling',
    serviceNamespace: target.serviceNamespace,
    scalableDimension: target.scalableDimension,
    resourceId: target.resourceId,
    stepScalingPolicyConfiguration: {
      adjustmentType: 'ExactCapacity',
      cooldown: SCALE_OUT_COOLDOWN_SECONDS,
      metricAggregationType: 'Maximum',
      stepAdjustments: wakeFromZeroSteps(config.gpu.targetBacklogPerTask, Math.max(1, config.gpu.maxTasks)).map((step) => ({
        metricIntervalLowerBound: String(step.lower),
        metricIntervalUpperBound: step.upper === null ? undefined : String(step.upper),
        scalingAdjustment: step.tasks,
      })),
    },
  });

  new aws.cloudwatch.MetricAlarm('GpuWorkerWakeAlarm', {
    alarmDescription: 'Jobs are waiting and the GPU service has no task: set the task count from the backlog',
    comparisonOperator: 'GreaterThanOrEqualToThreshold',
    threshold: WAKE_THRESHOLD,
    evaluationPeriods: 1,
    datapointsToAlarm: 1,
    treatMissingData: 'notBreaching',
    alarmActions: [wake.arn],
    metricQueries: [
      {
        id: 'visible',
        returnData: false,
        metric: { namespace: 'AWS/SQS', metricName: 'ApproximateNumberOfMessagesVisible', dimensions: { QueueName: queueName }, period: 60, stat: 'Maximum' },
      },
      {
        id: 'tasks',
        returnData: false,
        metric: {
          namespace: 'ECS/ContainerInsights',
          metricName: 'DesiredTaskCount',
          dimensions: { ClusterName: gpu.cluster.name, ServiceName: worker.service.name },
          period: 60,
          stat: 'Maximum',
        },
      },
      { id: 'wake', label: 'Visible jobs while the service has no task', expression: VISIBLE_WHILE_IDLE_EXPRESSION, returnData: true },
    ],
  });
  return { target };
}
