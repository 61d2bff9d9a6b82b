namespace Transfer.Featurization;

/// <summary>What happens when a GPU execution provider was asked for but cannot be used.</summary>
public enum GpuFallback
{
    /// <summary>Log one warning that names what is missing and run on the CPU.</summary>
    Cpu,

    /// <summary>Throw a <see cref="GpuUnavailableException"/> that names what is missing (strict mode).</summary>
    Fail,
}
