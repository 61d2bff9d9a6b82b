using System.Globalization;
using System.Text;
using Transfer.Validation;

namespace Transfer.Backbones;

/// <summary>
/// Describes how to feed an ONNX CNN and where its features come out. Pixels reach the model as planar
/// <c>NCHW</c> floats in 0–255, reordered to <see cref="ChannelOrder"/>, then <c>x · PixelScale</c>, then either minus
/// <see cref="MeanImage"/>, or minus <see cref="Mean"/> and divided by <see cref="Std"/> per channel.
/// </summary>
public sealed record BackboneDescriptor
{
    /// <summary>Gets the backbone's name (shown in reports and the run manifest).</summary>
    public required string Name { get; init; }

    /// <summary>Gets the name of the model's image input.</summary>
    public required string InputName { get; init; }

    /// <summary>Gets the name of the output whose values are the features (any shape [N, …]; flattened per image).</summary>
    public required string OutputName { get; init; }

    /// <summary>Gets the input width in pixels.</summary>
    public required int Width { get; init; }

    /// <summary>Gets the input height in pixels.</summary>
    public required int Height { get; init; }

    /// <summary>
    /// Gets the number of features per image: the flattened length of <see cref="OutputName"/>, plus the channel count of
    /// each of <see cref="PooledOutputs"/>.
    /// </summary>
    public required int FeatureLength { get; init; }

    /// <summary>Gets the channel order the model expects.</summary>
    /// <value>The default value is <see cref="ChannelOrder.Rgb"/>.</value>
    public ChannelOrder ChannelOrder { get; init; } = ChannelOrder.Rgb;

    /// <summary>Gets the factor applied to 0–255 pixel values first (1/255 for models that expect 0–1).</summary>
    /// <value>The default value is 1.</value>
    public float PixelScale { get; init; } = 1f;

    /// <summary>Gets the per-channel mean subtracted after scaling, in <see cref="ChannelOrder"/>, or <see langword="null"/>.</summary>
    /// <value>The default value is <see langword="null"/> (no mean).</value>
    public IReadOnlyList<float>? Mean { get; init; }

    /// <summary>Gets the per-channel standard deviation divided by after the mean, in <see cref="ChannelOrder"/>, or <see langword="null"/>.</summary>
    /// <value>The default value is <see langword="null"/> (no division).</value>
    public IReadOnlyList<float>? Std { get; init; }

    /// <summary>Gets a mean image [3 × Height × Width] (in <see cref="ChannelOrder"/>) subtracted instead of <see cref="Mean"/>, or <see langword="null"/>.</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public IReadOnlyList<float>? MeanImage { get; init; }

    /// <summary>
    /// Gets the names of intermediate node outputs, each [N, C, h, w], that are globally average-pooled to [N, C] and
    /// appended, in this order, after the features of <see cref="OutputName"/> (multi-stage features); or
    /// <see langword="null"/>. <see cref="FeatureLength"/> then counts them too; the graph builder checks the total.
    /// </summary>
    /// <value>The default value is <see langword="null"/> (only <see cref="OutputName"/>).</value>
    public IReadOnlyList<string>? PooledOutputs { get; init; }

    /// <summary>
    /// Gets how each feature block (the main output, then each of <see cref="PooledOutputs"/>) is normalised inside the graph.
    /// </summary>
    /// <value>The default value is <see cref="Transfer.Backbones.FeatureNormalization.None"/>.</value>
    public FeatureNormalization FeatureNormalization { get; init; } = FeatureNormalization.None;

    /// <summary>Checks the descriptor and lists every problem at once.</summary>
    /// <exception cref="OptionsValidationException">One or more values are invalid; <see cref="OptionsValidationException.Problems"/> lists them all, in order.</exception>
    public void Validate()
    {
        var problems = new ValidationProblems();
        if (string.IsNullOrWhiteSpace(InputName))
        {
            problems.Add("InputName must be the name of the model's image input, was empty.");
        }

        if (string.IsNullOrWhiteSpace(OutputName))
        {
            problems.Add("OutputName must be the name of the feature output, was empty.");
        }

        if (Width <= 0 || Height <= 0)
        {
            problems.Add($"Width and Height must be positive, were {Width} and {Height}.");
        }

        if (FeatureLength <= 0)
        {
            problems.Add($"FeatureLength must be positive, was {FeatureLength}.");
        }

        if (Mean is not null && Mean.Count != 3)
        {
            problems.Add($"Mean must have 3 values (one per channel), had {Mean.Count}.");
        }

        if (Std is not null && (Std.Count != 3 || Std.Any(s => s == 0)))
        {
            problems.Add($"Std must have 3 non-zero values, was [{string.Join(", ", Std)}].");
        }

        if (MeanImage is not null && MeanImage.Count != 3 * Width * Height)
        {
            problems.Add($"MeanImage must have 3 × {Height} × {Width} = {3 * Width * Height} values, had {MeanImage.Count}.");
        }

        if (MeanImage is not null && Mean is not null)
        {
            problems.Add("Give either Mean or MeanImage, not both.");
        }

        if (PooledOutputs is not null)
        {
            if (PooledOutputs.Any(string.IsNullOrWhiteSpace))
            {
                problems.Add($"PooledOutputs must name node outputs, had an empty name in [{string.Join(", ", PooledOutputs)}]. Remove the empty entry.");
            }

            var repeated = PooledOutputs.Where(p => !string.IsNullOrWhiteSpace(p)).GroupBy(p => p, StringComparer.Ordinal).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
            if (repeated.Count > 0)
            {
                problems.Add($"PooledOutputs names [{string.Join(", ", repeated)}] more than once. Give each output once.");
            }

            if (PooledOutputs.Contains(OutputName, StringComparer.Ordinal))
            {
                problems.Add($"PooledOutputs contains the main output \"{OutputName}\", whose features are already included. List only intermediate outputs.");
            }
        }

        if (!Enum.IsDefined(FeatureNormalization))
        {
            problems.Add($"FeatureNormalization must be None or L2, was {(int)FeatureNormalization}.");
        }

        problems.ThrowIfAny($"backbone descriptor \"{Name}\"");
    }

    /// <summary>Returns a canonical text of every field that changes the features (part of the backbone fingerprint).</summary>
    /// <returns>The canonical text.</returns>
    public string CanonicalKey()
    {
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"in={InputName};out={OutputName};w={Width};h={Height};d={FeatureLength};order={ChannelOrder};scale={PixelScale:R}");
        if (Mean is not null)
        {
            sb.Append(";mean=").AppendJoin(',', Mean.Select(m => m.ToString("R", CultureInfo.InvariantCulture)));
        }

        if (Std is not null)
        {
            sb.Append(";std=").AppendJoin(',', Std.Select(m => m.ToString("R", CultureInfo.InvariantCulture)));
        }

        if (PooledOutputs is { Count: > 0 })
        {
            sb.Append(";pooled=").AppendJoin(',', PooledOutputs);
        }

        if (FeatureNormalization != FeatureNormalization.None)
        {
            sb.Append(";norm=").Append(FeatureNormalization);
        }

        if (MeanImage is not null)
        {
            var bytes = new byte[MeanImage.Count * 4];
            for (int i = 0; i < MeanImage.Count; i++)
            {
                BitConverter.TryWriteBytes(bytes.AsSpan(i * 4), MeanImage[i]);
            }

            sb.Append(";meanImage=").Append(Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(bytes)));
        }

        return sb.ToString();
    }
}
