using Transfer.Images;

namespace Transfer.Featurization;

/// <summary>Options for <see cref="Featurizer"/>.</summary>
public sealed class FeaturizerOptions
{
    /// <summary>Gets the number of images per ONNX Runtime run.</summary>
    /// <value>The default value is 8 (the best measured batch for ResNet18 on 2 CPU cores).</value>
    public int BatchSize { get; init; } = 8;

    /// <summary>Gets the number of threads ONNX Runtime uses inside one run; 0 for one per core.</summary>
    /// <value>The default value is 0.</value>
    public int IntraOpThreads { get; init; }

    /// <summary>Gets the number of images decoded at once while the previous batch runs; 0 for one per core.</summary>
    /// <value>The default value is 0.</value>
    public int DecodeThreads { get; init; }

    /// <summary>Gets what happens to an image that cannot be decoded.</summary>
    /// <value>The default value is <see cref="BadImagePolicy.Fail"/>.</value>
    public BadImagePolicy BadImagePolicy { get; init; } = BadImagePolicy.Fail;

    /// <summary>Gets how images become pixels.</summary>
    /// <value>The default value is <see cref="ImagePreprocessing.Default"/>.</value>
    public ImagePreprocessing Preprocessing { get; init; } = ImagePreprocessing.Default;

    /// <summary>Checks the options and lists every problem at once.</summary>
    /// <exception cref="ArgumentException">One or more values are invalid.</exception>
    public void Validate()
    {
        var errors = new List<string>();
        if (BatchSize is < 1 or > 4096)
        {
            errors.Add($"BatchSize must be in [1, 4096], was {BatchSize}.");
        }

        if (IntraOpThreads < 0)
        {
            errors.Add($"IntraOpThreads must be 0 (one per core) or more, was {IntraOpThreads}.");
        }

        if (DecodeThreads < 0)
        {
            errors.Add($"DecodeThreads must be 0 (one per core) or more, was {DecodeThreads}.");
        }

        if (Preprocessing is null)
        {
            errors.Add("Preprocessing must not be null.");
        }
        else if (Preprocessing.MaxPixels < 1)
        {
            errors.Add($"Preprocessing.MaxPixels must be positive, was {Preprocessing.MaxPixels}.");
        }

        if (errors.Count > 0)
        {
            throw new ArgumentException($"Invalid Options / Validation Errors:{Environment.NewLine}{string.Join(Environment.NewLine, errors)}");
        }
    }
}
