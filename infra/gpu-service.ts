// The GPU worker service: its image (built from workers/gpu/Dockerfile and pushed to ECR at deploy), roles,
// task definition (one GPU per task) and the ECS service on the GPU capacity provider.
import type { StageConfig } from './config.js';
import { modelBundleUri, parseS3Uri } from './config.js';
import type { createGpuCluster } from './gpu-cluster.js';
import { coreEnvironment, type CoreResources } from './runtime-env.js';
import { CONTAINER_STOP_TIMEOUT_SECONDS } from './user-data.js';
import { workerEnvironment, WORKER_HEALTH_PORT, healthCheckCommand } from './worker-env.js';

type GpuCluster = ReturnType<typeof createGpuCluster>;

const assume = (service: string) =>
  JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Principal: { Service: service }, Action: 'sts:AssumeRole' }],
  });

function createImage() {
  const repository = new aws.ecr.Repository('GpuWorkerRepository', {
    forceDelete: true,
    imageScanningConfiguration: { scanOnPush: true },
  });
  new aws.ecr.LifecyclePolicy('GpuWorkerRepositoryLifecycle', {
    repository: repository.name,
    policy: JSON.stringify({
      rules: [
        {
          rulePriority: 1,
          description: 'keep the last 10 images',
          selection: { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 10 },
          action: { type: 'expire' },
        },
      ],
    }),
  });
  const auth = aws.ecr.getAuthorizationTokenOutput({ registryId: repository.registryId });
  const image = new dockerbuild.Image('GpuWorkerImage', {
    context: { location: '.' },
    dockerfile: { location: 'workers/gpu/Dockerfile' },
    platforms: ['linux/amd64'],
    push: true,
    tags: [$interpolate`${repository.repositoryUrl}:${$app.stage}`],
    registries: [{ address: repository.repositoryUrl, username: auth.userName, password: auth.password }],
  });
  // ref pins the pushed digest, so a new build always rolls the service.
  return { repository, image: image.ref };
}

function createTaskRole(config: StageConfig, resources: CoreResources, cluster: GpuCluster['cluster'], bundleUri: $util.Output<string>) {
  const role = new aws.iam.Role('GpuTaskRole', { assumeRolePolicy: assume('ecs-tasks.amazonaws.com') });
  const bundle = bundleUri.apply(parseS3Uri);
  const policy = aws.iam.getPolicyDocumentOutput({
    statements: [
      { actions: ['s3:GetObject', 's3:PutObject'], resources: [$interpolate`${resources.bucket.arn}/*`] },
      { actions: ['s3:GetObject'], resources: [$interpolate`arn:aws:s3:::${bundle.bucket}/${bundle.prefix}*`] },
      // Without ListBucket S3 answers 403 instead of 404 for a missing key, and the object store's get() would
      // throw where it should return null (a missing input or bundle file).
      { actions: ['s3:ListBucket'], resources: [resources.bucket.arn] },
      {
        actions: ['s3:ListBucket'],
        resources: [$interpolate`arn:aws:s3:::${bundle.bucket}`],
        conditions: [{ test: 'StringLike', variable: 's3:prefix', values: [$interpolate`${bundle.prefix}*`] }],
      },
      {
        actions: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility', 'sqs:GetQueueAttributes', 'sqs:SendMessage'],
        resources: [resources.jobs.queue.arn, resources.jobs.dlq.arn],
      },
      { actions: ['sqs:SendMessage', 'sqs:GetQueueAttributes'], resources: [resources.events.queue.arn] },
      {
        actions: [
          'dynamodb:GetItem',
          'dynamodb:PutItem',
          'dynamodb:UpdateItem',
          'dynamodb:DeleteItem',
          'dynamodb:Query',
          'dynamodb:ConditionCheckItem',
          'dynamodb:TransactWriteItems',
        ],
        resources: [resources.table.arn],
      },
      // The worker protects its own task from scale-in while it runs a job (ECS agent task-protection API).
      { actions: ['ecs:GetTaskProtection', 'ecs:UpdateTaskProtection'], resources: [$interpolate`arn:aws:ecs:*:*:task/${cluster.name}/*`] },
    ],
  });
  new aws.iam.RolePolicy('GpuTaskPolicy', { role: role.id, policy: policy.json });
  return role;
}

export function createGpuService(config: StageConfig, resources: CoreResources, gpu: GpuCluster) {
  const { image } = createImage();
  const bundleUri = resources.bucket.name.apply((bucket) => modelBundleUri(config.model, bucket));

  const executionRole = new aws.iam.Role('GpuExecutionRole', { assumeRolePolicy: assume('ecs-tasks.amazonaws.com') });
  new aws.iam.RolePolicyAttachment('GpuExecutionRolePolicy', {
    role: executionRole.name,
    policyArn: 'arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy',
  });
  const taskRole = createTaskRole(config, resources, gpu.cluster, bundleUri);
  const logGroup = new aws.cloudwatch.LogGroup('GpuWorkerLogs', { retentionInDays: config.production ? 30 : 7 });
  const region = aws.getRegionOutput().region;

  const containers = $jsonStringify([
    {
      name: 'worker',
      image,
      essential: true,
      cpu: config.gpu.task.cpu,
      memory: config.gpu.task.memoryMiB,
      resourceRequirements: [{ type: 'GPU', value: String(config.gpu.task.gpus) }],
      environment: $util.all([$util.output(coreEnvironment(resources)), bundleUri, region]).apply(([core, uri, awsRegion]) =>
        Object.entries({
          ...core,
          ...workerEnvironment({ bundleUri: uri, stopTimeoutSeconds: CONTAINER_STOP_TIMEOUT_SECONDS, maxReceiveCount: config.queues.maxReceiveCount }),
          AWS_REGION: awsRegion,
        }).map(([name, value]) => ({ name, value })),
      ),
      healthCheck: { command: healthCheckCommand(WORKER_HEALTH_PORT), interval: 30, timeout: 5, retries: 3, startPeriod: 300 },
      stopTimeout: CONTAINER_STOP_TIMEOUT_SECONDS,
      logConfiguration: {
        logDriver: 'awslogs',
        options: { 'awslogs-group': logGroup.name, 'awslogs-region': region, 'awslogs-stream-prefix': 'worker' },
      },
    },
  ]);

  const taskDefinition = new aws.ecs.TaskDefinition('GpuWorkerTask', {
    family: `${$app.name}-${$app.stage}-gpu-worker`,
    requiresCompatibilities: ['EC2'],
    networkMode: 'bridge',
    executionRoleArn: executionRole.arn,
    taskRoleArn: taskRole.arn,
    containerDefinitions: containers,
  });

  const service = new aws.ecs.Service(
    'GpuWorker',
    {
      cluster: gpu.cluster.arn,
      taskDefinition: taskDefinition.arn,
      desiredCount: config.gpu.minTasks,
      capacityProviderStrategies: [{ capacityProvider: gpu.capacityProvider.name, weight: 1, base: 0 }],
      // A rolling deploy starts the new task first; managed scaling adds an instance for its GPU.
      deploymentMinimumHealthyPercent: 100,
      deploymentMaximumPercent: 200,
      deploymentCircuitBreaker: { enable: true, rollback: true },
      orderedPlacementStrategies: [{ type: 'binpack', field: 'memory' }],
      enableEcsManagedTags: true,
      propagateTags: 'SERVICE',
      waitForSteadyState: false,
    },
    // Auto scaling owns the desired count after the first deploy.
    { ignoreChanges: ['desiredCount'], dependsOn: [gpu.clusterCapacity] },
  );
  return { service, taskDefinition, bundleUri };
}
