namespace Transfer.Models;

/// <summary>Options for <see cref="Predictor"/>.</summary>
public sealed class PredictorOptions
{
    /// <summary>Gets the number of images per ONNX Runtime run in batch prediction.</summary>
    /// <value>The default value is 8.</value>
    public int BatchSize { get; init; } = 8;

    /// <summary>Gets the threads ONNX Runtime uses inside one run; 0 for one per core.</summary>
    /// <value>The default value is 0.</value>
    public int IntraOpThreads { get; init; }

    /// <summary>Gets the largest image (width × height) decoded.</summary>
    /// <value>The default value is <see cref="Images.ImagePreprocessing.DefaultMaxPixels"/>.</value>
    public long MaxPixels { get; init; } = Images.ImagePreprocessing.DefaultMaxPixels;
}
