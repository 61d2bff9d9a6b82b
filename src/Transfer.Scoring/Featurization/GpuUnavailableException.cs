namespace Transfer.Featurization;

/// <summary>
/// Thrown when <see cref="ExecutionProvider.Cuda"/> with <see cref="GpuFallback.Fail"/> was asked for and the GPU
/// cannot be used; the message names what is missing (the GPU package, a CUDA library, the device) and the fix.
/// </summary>
public sealed class GpuUnavailableException : InvalidOperationException
{
    /// <summary>Initializes a new instance of the <see cref="GpuUnavailableException"/> class.</summary>
    public GpuUnavailableException()
    {
    }

    /// <summary>Initializes a new instance of the <see cref="GpuUnavailableException"/> class.</summary>
    /// <param name="message">What is missing and how to fix it.</param>
    public GpuUnavailableException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="GpuUnavailableException"/> class.</summary>
    /// <param name="message">What is missing and how to fix it.</param>
    /// <param name="innerException">The ONNX Runtime error.</param>
    public GpuUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
