using System.Buffers;
using System.Globalization;
using System.Numerics.Tensors;
using Transfer.Images;
using Transfer.Validation;

namespace Transfer.Augmentation;

/// <summary>
/// One deterministic augmented view of an image, applied to the decoded planar A,R,G,B pixels (0–255, at the backbone's
/// input size) before the backbone: a random-resized crop resampled back to the full size, a left/right mirror, and a
/// brightness/contrast jitter, in that order. The random choices come from the image's content hash and <see cref="Seed"/>
/// only, so an image always gets the same view (whatever its row, batch or thread) and its features can be cached.
/// </summary>
/// <remarks>
/// Set it as <see cref="Featurization.FeaturizerOptions.View"/>: the view's vectors then live in a feature space (and
/// bottleneck store) of their own, apart from the plain ones. The defaults change nothing; a view is for training
/// images only, models predict on the images as they are.
/// </remarks>
public sealed record AugmentationView
{
    /// <summary>The smallest crop area of <see cref="Jitter"/>, as a fraction of the image: 0.6.</summary>
    public const double JitterMinCropScale = 0.6;

    /// <summary>The smallest crop aspect ratio (width / height) of <see cref="Jitter"/>: 3/4.</summary>
    public const double JitterMinCropAspect = 3.0 / 4.0;

    /// <summary>The largest crop aspect ratio (width / height) of <see cref="Jitter"/>: 4/3.</summary>
    public const double JitterMaxCropAspect = 4.0 / 3.0;

    /// <summary>The brightness and contrast jitter of <see cref="Jitter"/>: factors drawn from [0.8, 1.2].</summary>
    public const double JitterColor = 0.2;

    /// <summary>Gets the left/right mirror of the image: no crop, no jitter, no randomness.</summary>
    public static AugmentationView HorizontalFlip { get; } = new() { FlipHorizontal = true };

    /// <summary>Gets a value indicating whether the view mirrors the image left to right (after the crop).</summary>
    /// <value>The default value is <see langword="false"/>.</value>
    public bool FlipHorizontal { get; init; }

    /// <summary>Gets the smallest area of the random crop, as a fraction of the image's area, in (0, 1].</summary>
    /// <value>The default value is 1 (with the other crop settings at 1: no crop).</value>
    public double MinCropScale { get; init; } = 1;

    /// <summary>Gets the largest area of the random crop, as a fraction of the image's area, in [<see cref="MinCropScale"/>, 1].</summary>
    /// <value>The default value is 1.</value>
    public double MaxCropScale { get; init; } = 1;

    /// <summary>
    /// Gets the smallest aspect ratio (width / height) of the random crop, drawn log-uniformly up to <see cref="MaxCropAspect"/>.
    /// A crop that does not fit the image is shrunk, keeping its aspect ratio, until it does.
    /// </summary>
    /// <value>The default value is 1.</value>
    public double MinCropAspect { get; init; } = 1;

    /// <summary>Gets the largest aspect ratio (width / height) of the random crop, at least <see cref="MinCropAspect"/>.</summary>
    /// <value>The default value is 1.</value>
    public double MaxCropAspect { get; init; } = 1;

    /// <summary>
    /// Gets the brightness jitter, in [0, 1): the colour planes are multiplied by a factor drawn from
    /// [1 − <see cref="Brightness"/>, 1 + <see cref="Brightness"/>]. Colours are premultiplied by alpha, so they are kept in [0, alpha].
    /// </summary>
    /// <value>The default value is 0 (no change).</value>
    public double Brightness { get; init; }

    /// <summary>
    /// Gets the contrast jitter, in [0, 1): the colour planes are blended with their mean grey (0.299 R + 0.587 G + 0.114 B)
    /// by a factor drawn from [1 − <see cref="Contrast"/>, 1 + <see cref="Contrast"/>], applied after the brightness.
    /// </summary>
    /// <value>The default value is 0 (no change).</value>
    public double Contrast { get; init; }

    /// <summary>Gets the seed that, with the image's content hash, draws the crop and the jitter; views that differ only by seed are different views.</summary>
    /// <value>The default value is 0.</value>
    public int Seed { get; init; }

    /// <summary>Gets a value indicating whether the view draws anything at random (a crop or a jitter), so it needs the image's content hash.</summary>
    public bool IsRandom => HasCrop || Brightness != 0 || Contrast != 0;

    private bool HasCrop => MinCropScale != 1 || MaxCropScale != 1 || MinCropAspect != 1 || MaxCropAspect != 1;

    /// <summary>
    /// Creates a jittered view: a random-resized crop of 60–100% of the area (<see cref="JitterMinCropScale"/>) with an aspect
    /// ratio from 3/4 to 4/3, and brightness and contrast factors from 0.8 to 1.2 (<see cref="JitterColor"/>).
    /// </summary>
    /// <param name="seed">The view's seed: each seed is a different view of every image.</param>
    /// <param name="flip">Whether the view is also mirrored left to right.</param>
    /// <returns>The view.</returns>
    public static AugmentationView Jitter(int seed, bool flip) => new()
    {
        FlipHorizontal = flip,
        MinCropScale = JitterMinCropScale,
        MaxCropScale = 1,
        MinCropAspect = JitterMinCropAspect,
        MaxCropAspect = JitterMaxCropAspect,
        Brightness = JitterColor,
        Contrast = JitterColor,
        Seed = seed,
    };

    /// <summary>
    /// Expands a policy to its views (besides the images as they are): <see cref="AugmentationPolicy.None"/> to none,
    /// <see cref="AugmentationPolicy.Flip"/> and <see cref="AugmentationPolicy.Auto"/> to [<see cref="HorizontalFlip"/>]
    /// (for <see cref="AugmentationPolicy.Auto"/> a candidate: flipping is never forced, the pipeline also compares without
    /// it), <see cref="AugmentationPolicy.Standard"/> to [<see cref="HorizontalFlip"/>, <c>Jitter(1, flip: false)</c>,
    /// <c>Jitter(2, flip: true)</c>].
    /// </summary>
    /// <param name="policy">The policy.</param>
    /// <returns>The views, in a fixed order.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="policy"/> is not a defined value.</exception>
    public static IReadOnlyList<AugmentationView> ForPolicy(AugmentationPolicy policy) => policy switch
    {
        AugmentationPolicy.None => [],
        AugmentationPolicy.Flip or AugmentationPolicy.Auto => [HorizontalFlip],
        AugmentationPolicy.Standard => [HorizontalFlip, Jitter(1, flip: false), Jitter(2, flip: true)],
        _ => throw new ArgumentOutOfRangeException(nameof(policy), policy, $"Parameter \"policy\" must be one of None, Flip, Standard, Auto, was {(int)policy}."),
    };

    /// <summary>Returns a canonical text of every setting, the seed included (part of the feature-space key of a featurizer using the view).</summary>
    /// <returns>The canonical key.</returns>
    public string CanonicalKey() => string.Create(
        CultureInfo.InvariantCulture,
        $"flip={(FlipHorizontal ? 1 : 0)};crop={MinCropScale:R}-{MaxCropScale:R};aspect={MinCropAspect:R}-{MaxCropAspect:R};brightness={Brightness:R};contrast={Contrast:R};seed={Seed}");

    /// <inheritdoc />
    public override string ToString() => CanonicalKey();

    /// <summary>Checks the settings and lists every problem at once.</summary>
    /// <exception cref="OptionsValidationException">One or more values are invalid; <see cref="OptionsValidationException.Problems"/> lists them all, in order.</exception>
    public void Validate()
    {
        var problems = new ValidationProblems();
        if (!(MinCropScale > 0 && MinCropScale <= 1))
        {
            problems.Add($"MinCropScale must be in (0, 1] (a fraction of the image's area), was {MinCropScale}.");
        }

        if (!(MaxCropScale > 0 && MaxCropScale <= 1))
        {
            problems.Add($"MaxCropScale must be in (0, 1] (a fraction of the image's area), was {MaxCropScale}.");
        }
        else if (MinCropScale > MaxCropScale)
        {
            problems.Add($"MinCropScale must be at most MaxCropScale, was {MinCropScale} > {MaxCropScale}; swap them.");
        }

        if (!(MinCropAspect > 0 && double.IsFinite(MinCropAspect)))
        {
            problems.Add($"MinCropAspect must be a positive finite width/height ratio, was {MinCropAspect}.");
        }

        if (!(MaxCropAspect > 0 && double.IsFinite(MaxCropAspect)))
        {
            problems.Add($"MaxCropAspect must be a positive finite width/height ratio, was {MaxCropAspect}.");
        }
        else if (MinCropAspect > MaxCropAspect)
        {
            problems.Add($"MinCropAspect must be at most MaxCropAspect, was {MinCropAspect} > {MaxCropAspect}; swap them.");
        }

        if (!(Brightness >= 0 && Brightness < 1))
        {
            problems.Add($"Brightness must be in [0, 1) (factors from 1 - Brightness to 1 + Brightness), was {Brightness}.");
        }

        if (!(Contrast >= 0 && Contrast < 1))
        {
            problems.Add($"Contrast must be in [0, 1) (factors from 1 - Contrast to 1 + Contrast), was {Contrast}.");
        }

        problems.ThrowIfAny(nameof(AugmentationView));
    }

    /// <summary>
    /// Applies the view in place to one image's planar A,R,G,B pixels (0–255). The alpha plane is cropped and mirrored
    /// like the colours; the jitter changes the colours only.
    /// </summary>
    /// <param name="planes">4 × <paramref name="height"/> × <paramref name="width"/> floats: the A, R, G and B planes.</param>
    /// <param name="width">The width of a plane.</param>
    /// <param name="height">The height of a plane.</param>
    /// <param name="content">The image's content hash (<see cref="ContentHash.Compute(ReadOnlySpan{byte})"/> of its encoded bytes); unused when <see cref="IsRandom"/> is false.</param>
    /// <exception cref="ArgumentException">The view is invalid, a size is not positive, or <paramref name="planes"/> is not 4 × height × width long.</exception>
    public void Apply(Span<float> planes, int width, int height, ContentHash content)
    {
        Validate();
        if (width < 1 || height < 1 || planes.Length != 4L * width * height)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Parameter \"planes\" must hold 4 × height × width floats for a positive width and height, held {planes.Length} for {width}×{height}."), nameof(planes));
        }

        ApplyValidated(planes, width, height, content);
    }


    /// <summary>Applies a view already validated to planes already checked (the featurizer's per-image path).</summary>
    internal void ApplyValidated(Span<float> planes, int width, int height, ContentHash content)
    {
        int plane = width * height;

        // Every draw is made, in a fixed order, whatever is enabled: the crop of a seed stays the same when only the jitter changes.
        var random = IsRandom ? new ViewRandom(content, Seed) : default;
        double uScale = 0, uAspect = 0, uX = 0, uY = 0, uBrightness = 0.5, uContrast = 0.5;
        if (IsRandom)
        {
            uScale = random.NextDouble();
            uAspect = random.NextDouble();
            uX = random.NextDouble();
            uY = random.NextDouble();
            uBrightness = random.NextDouble();
            uContrast = random.NextDouble();
        }

        if (HasCrop)
        {
            double scale = MinCropScale + ((MaxCropScale - MinCropScale) * uScale);
            double aspect = Math.Exp(Math.Log(MinCropAspect) + ((Math.Log(MaxCropAspect) - Math.Log(MinCropAspect)) * uAspect));
            double cropWidth = Math.Sqrt(scale * plane * aspect);
            double cropHeight = Math.Sqrt(scale * plane / aspect);
            double fit = Math.Min(1, Math.Min(width / cropWidth, height / cropHeight));
            cropWidth *= fit;
            cropHeight *= fit;
            Crop(planes, width, height, uX * (width - cropWidth), uY * (height - cropHeight), cropWidth, cropHeight);
        }

        if (FlipHorizontal)
        {
            for (int row = 0; row < 4 * height; row++)
            {
                planes.Slice(row * width, width).Reverse();
            }
        }

        if (Brightness != 0 || Contrast != 0)
        {
            var alpha = planes[..plane];
            var r = planes.Slice(plane, plane);
            var g = planes.Slice(2 * plane, plane);
            var b = planes.Slice(3 * plane, plane);
            float brightness = (float)(1 + (Brightness * ((2 * uBrightness) - 1)));
            float contrast = (float)(1 + (Contrast * ((2 * uContrast) - 1)));
            Span<float> colours = planes[plane..];
            TensorPrimitives.Multiply(colours, brightness, colours);
            KeepPremultiplied(r, alpha);
            KeepPremultiplied(g, alpha);
            KeepPremultiplied(b, alpha);
            float grey = ((0.299f * TensorPrimitives.Sum<float>(r)) + (0.587f * TensorPrimitives.Sum<float>(g)) + (0.114f * TensorPrimitives.Sum<float>(b))) / plane;
            TensorPrimitives.Multiply(colours, contrast, colours);
            TensorPrimitives.Add(colours, (1 - contrast) * grey, colours);
            KeepPremultiplied(r, alpha);
            KeepPremultiplied(g, alpha);
            KeepPremultiplied(b, alpha);
        }
    }

    /// <summary>Clamps a premultiplied colour plane to [0, alpha].</summary>
    private static void KeepPremultiplied(Span<float> colour, ReadOnlySpan<float> alpha)
    {
        TensorPrimitives.Max(colour, 0f, colour);
        TensorPrimitives.Min(colour, alpha, colour);
    }

    /// <summary>Resamples the window (x, y, w, h), in pixels, of every plane back to the full size, bilinearly (pixel centres aligned, edges clamped).</summary>
    private static void Crop(Span<float> planes, int width, int height, double x, double y, double w, double h)
    {
        int plane = width * height;
        float[] source = ArrayPool<float>.Shared.Rent(4 * plane);
        float[] rowBuffer = ArrayPool<float>.Shared.Rent(width);
        int[] left = ArrayPool<int>.Shared.Rent(width);
        float[] across = ArrayPool<float>.Shared.Rent(width);
        try
        {
            planes.CopyTo(source);
            double stepX = w / width;
            double stepY = h / height;
            for (int i = 0; i < width; i++)
            {
                double sx = Math.Clamp(x + ((i + 0.5) * stepX) - 0.5, 0, width - 1);
                int x0 = Math.Min((int)sx, width - 1);
                left[i] = x0;
                across[i] = (float)(sx - x0);
            }

            var row = rowBuffer.AsSpan(0, width);
            for (int p = 0; p < 4; p++)
            {
                var src = source.AsSpan(p * plane, plane);
                var dst = planes.Slice(p * plane, plane);
                for (int j = 0; j < height; j++)
                {
                    double sy = Math.Clamp(y + ((j + 0.5) * stepY) - 0.5, 0, height - 1);
                    int y0 = Math.Min((int)sy, height - 1);
                    int y1 = Math.Min(y0 + 1, height - 1);
                    TensorPrimitives.Lerp(src.Slice(y0 * width, width), src.Slice(y1 * width, width), (float)(sy - y0), row);
                    var output = dst.Slice(j * width, width);
                    for (int i = 0; i < width; i++)
                    {
                        int x0 = left[i];
                        int x1 = Math.Min(x0 + 1, width - 1);
                        float a = row[x0];
                        output[i] = a + ((row[x1] - a) * across[i]);
                    }
                }
            }
        }
        finally
        {
            ArrayPool<int>.Shared.Return(left);
            ArrayPool<float>.Shared.Return(across);
            ArrayPool<float>.Shared.Return(rowBuffer);
            ArrayPool<float>.Shared.Return(source);
        }
    }
}
