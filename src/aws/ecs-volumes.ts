import type { ServiceVolumeConfiguration, TaskVolumeConfiguration } from "@aws-sdk/client-ecs";
import type { ServiceVolumeConfigurationSpec, TaskVolumeConfigurationSpec } from "../api/volume-configuration.js";

/**
 * `volumeConfigurations` as CreateService/UpdateService (and RunTask) take them: the spec is AWS's
 * shape except that tags are a map (docs/design.md section 2), which AWS takes as key/value pairs,
 * in key order so that the same spec always sends the same request.
 */
export function ecsVolumeConfigurations(volumes: readonly ServiceVolumeConfigurationSpec[]): ServiceVolumeConfiguration[];
export function ecsVolumeConfigurations(volumes: readonly TaskVolumeConfigurationSpec[]): TaskVolumeConfiguration[];
export function ecsVolumeConfigurations(volumes: readonly (ServiceVolumeConfigurationSpec | TaskVolumeConfigurationSpec)[]): (ServiceVolumeConfiguration | TaskVolumeConfiguration)[] {
  return volumes.map(({ name, managedEBSVolume }) => {
    const { tagSpecifications, ...ebs } = managedEBSVolume;
    return {
      name,
      managedEBSVolume: {
        ...ebs,
        ...(tagSpecifications
          ? {
              tagSpecifications: tagSpecifications.map(({ tags, ...spec }) => ({
                ...spec,
                ...(tags ? { tags: Object.keys(tags).sort().map((key) => ({ key, value: tags[key] ?? "" })) } : {}),
              })),
            }
          : {}),
      },
    };
  });
}
