// The GPU capacity: ECS on EC2 (SST's own container components run on Fargate, which has no GPUs). Instances
// come from the ECS GPU AMI in an auto scaling group that a capacity provider scales to fit the tasks, with
// managed termination protection (no instance dies under a running task) and managed draining.
import type { StageConfig } from './config.js';
import { GPU_AMI_PARAMETER, ecsUserData } from './user-data.js';

const ASSUME_EC2 = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }],
});

export const INSTANCE_WARMUP_SECONDS = 300;

export function createGpuCluster(config: StageConfig) {
  // No NAT gateway (its hourly charge would dwarf an idle stage): instances sit in public subnets with a
  // public address and a security group that admits nothing.
  const vpc = new sst.aws.Vpc('Vpc', { az: 2 });
  const securityGroup = new aws.ec2.SecurityGroup('GpuWorkerSecurityGroup', {
    vpcId: vpc.id,
    description: 'GPU workers: outbound only',
    egress: [{ protocol: '-1', fromPort: 0, toPort: 0, cidrBlocks: ['0.0.0.0/0'], ipv6CidrBlocks: ['::/0'] }],
  });
  // A gateway endpoint is free and keeps the bundle and image traffic to S3 inside the VPC.
  new aws.ec2.VpcEndpoint('S3Endpoint', {
    vpcId: vpc.id,
    serviceName: $interpolate`com.amazonaws.${aws.getRegionOutput().region}.s3`,
    vpcEndpointType: 'Gateway',
    routeTableIds: vpc.nodes.publicRouteTables.apply((tables) => tables.map((table) => table.id)),
  });

  const cluster = new aws.ecs.Cluster('GpuCluster', { settings: [{ name: 'containerInsights', value: 'enabled' }] });

  const instanceRole = new aws.iam.Role('GpuInstanceRole', { assumeRolePolicy: ASSUME_EC2 });
  for (const [name, arn] of [
    ['Ecs', 'arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role'],
    ['Ssm', 'arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore'],
  ] as const) {
    new aws.iam.RolePolicyAttachment(`GpuInstanceRole${name}`, { role: instanceRole.name, policyArn: arn });
  }
  const instanceProfile = new aws.iam.InstanceProfile('GpuInstanceProfile', { role: instanceRole.name });

  const ami = aws.ssm.getParameterOutput({ name: GPU_AMI_PARAMETER });
  const launchTemplate = new aws.ec2.LaunchTemplate('GpuLaunchTemplate', {
    imageId: ami.insecureValue,
    instanceType: config.gpu.instance.name,
    iamInstanceProfile: { arn: instanceProfile.arn },
    userData: cluster.name.apply((name) => Buffer.from(ecsUserData(name)).toString('base64')),
    networkInterfaces: [{ associatePublicIpAddress: 'true', deleteOnTermination: 'true', securityGroups: [securityGroup.id] }],
    blockDeviceMappings: [
      {
        deviceName: '/dev/xvda',
        ebs: { volumeSize: config.gpu.rootVolumeGiB, volumeType: 'gp3', encrypted: 'true', deleteOnTermination: 'true' },
      },
    ],
    // Hop limit 1 keeps containers (bridge network) off the instance metadata service and its role.
    metadataOptions: { httpEndpoint: 'enabled', httpTokens: 'required', httpPutResponseHopLimit: 1 },
    updateDefaultVersion: true,
    tagSpecifications: [{ resourceType: 'instance', tags: { Name: `${$app.name}-${$app.stage}-gpu-worker` } }],
  });

  const group = new aws.autoscaling.Group(
    'GpuAutoScalingGroup',
    {
      minSize: config.gpu.minInstances,
      maxSize: config.gpu.maxInstances,
      vpcZoneIdentifiers: vpc.publicSubnets,
      launchTemplate: { id: launchTemplate.id, version: '$Latest' },
      // Required by managed termination protection: ECS, not the group, picks which instance may go.
      protectFromScaleIn: true,
      healthCheckType: 'EC2',
      healthCheckGracePeriod: INSTANCE_WARMUP_SECONDS,
      tags: [{ key: 'AmazonECSManaged', value: 'true', propagateAtLaunch: true }],
    },
    // The capacity provider owns the desired count.
    { ignoreChanges: ['desiredCapacity'] },
  );

  const capacityProvider = new aws.ecs.CapacityProvider('GpuCapacityProvider', {
    autoScalingGroupProvider: {
      autoScalingGroupArn: group.arn,
      managedTerminationProtection: 'ENABLED',
      managedDraining: 'ENABLED',
      managedScaling: {
        status: 'ENABLED',
        targetCapacity: 100,
        minimumScalingStepSize: 1,
        maximumScalingStepSize: Math.max(1, config.gpu.maxInstances),
        instanceWarmupPeriod: INSTANCE_WARMUP_SECONDS,
      },
    },
  });
  const clusterCapacity = new aws.ecs.ClusterCapacityProviders('GpuClusterCapacity', {
    clusterName: cluster.name,
    capacityProviders: [capacityProvider.name],
    defaultCapacityProviderStrategies: [{ capacityProvider: capacityProvider.name, weight: 1, base: 0 }],
  });

  return { vpc, cluster, capacityProvider, clusterCapacity };
}
