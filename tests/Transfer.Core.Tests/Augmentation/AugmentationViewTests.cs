using Transfer.Augmentation;
using Transfer.Images;
using Transfer.Featurization;
using Transfer.Validation;

namespace Transfer.Core.Tests.Augmentation;

/// <summary>The plane transforms of <see cref="AugmentationView"/>: exact mirror, determinism per (content, seed), crop and jitter bounds, validation.</summary>
public sealed class AugmentationViewTests
{
    private const int Width = 9;
    private const int Height = 7;
    private const int Plane = Width * Height;

    private static readonly ContentHash HashA = ContentHash.Compute("image A"u8);
    private static readonly ContentHash HashB = ContentHash.Compute("image B"u8);

    [Fact]
    public void Apply_HorizontalFlip_MirrorsEveryPlaneExactly()
    {
        float[] input = RandomPlanes(seed: 1, opaque: false);
        float[] planes = (float[])input.Clone();

        AugmentationView.HorizontalFlip.Apply(planes, Width, Height, default);

        for (int p = 0; p < 4; p++)
        {
            for (int y = 0; y < Height; y++)
            {
                for (int x = 0; x < Width; x++)
                {
                    Assert.Equal(input[(p * Plane) + (y * Width) + (Width - 1 - x)], planes[(p * Plane) + (y * Width) + x]);
                }
            }
        }
    }

    [Fact]
    public void Apply_DefaultView_LeavesPlanesUnchanged()
    {
        float[] input = RandomPlanes(seed: 2, opaque: true);
        float[] planes = (float[])input.Clone();

        new AugmentationView().Apply(planes, Width, Height, HashA);

        Assert.Equal(input, planes);
    }

    [Fact]
    public void Apply_SameContentHashAndSeed_GivesIdenticalOutput()
    {
        float[] input = RandomPlanes(seed: 3, opaque: true);
        float[] first = (float[])input.Clone();
        float[] second = (float[])input.Clone();

        AugmentationView.Jitter(7, flip: false).Apply(first, Width, Height, HashA);
        AugmentationView.Jitter(7, flip: false).Apply(second, Width, Height, ContentHash.Compute("image A"u8));

        Assert.Equal(first, second);
        Assert.NotEqual(input, first);
    }

    [Fact]
    public void Apply_DifferentSeeds_GiveDifferentOutput()
    {
        float[] input = RandomPlanes(seed: 4, opaque: true);
        float[] seed1 = (float[])input.Clone();
        float[] seed2 = (float[])input.Clone();

        AugmentationView.Jitter(1, flip: false).Apply(seed1, Width, Height, HashA);
        AugmentationView.Jitter(2, flip: false).Apply(seed2, Width, Height, HashA);

        Assert.NotEqual(seed1, seed2);
    }

    [Fact]
    public void Apply_DifferentContentHashes_GiveDifferentOutput()
    {
        float[] input = RandomPlanes(seed: 5, opaque: true);
        float[] a = (float[])input.Clone();
        float[] b = (float[])input.Clone();

        AugmentationView.Jitter(1, flip: false).Apply(a, Width, Height, HashA);
        AugmentationView.Jitter(1, flip: false).Apply(b, Width, Height, HashB);

        Assert.NotEqual(a, b);
    }

    [Fact]
    public void Apply_Crop_KeepsSizeAndValuesInRangeAndZoomsIn()
    {
        // A left-to-right ramp 0…255 in every plane: a crop narrower than the image is a zoom, so each row stays
        // non-decreasing but spans less than the full ramp.
        var view = new AugmentationView { MinCropScale = 0.3, MaxCropScale = 0.5, MinCropAspect = 0.75, MaxCropAspect = 4.0 / 3.0 };
        for (int seed = 0; seed < 20; seed++)
        {
            float[] planes = new float[4 * Plane];
            for (int i = 0; i < planes.Length; i++)
            {
                planes[i] = (i % Width) * 255f / (Width - 1);
            }

            (view with { Seed = seed }).Apply(planes, Width, Height, HashA);

            Assert.Equal(4 * Plane, planes.Length);
            Assert.All(planes, v => Assert.InRange(v, 0f, 255f));
            for (int row = 0; row < 4 * Height; row++)
            {
                var values = planes.AsSpan(row * Width, Width);
                for (int x = 1; x < Width; x++)
                {
                    Assert.True(values[x] >= values[x - 1], $"seed {seed}: row {row} decreases at column {x}.");
                }

                Assert.True(values[Width - 1] - values[0] < 255f * 0.95f, $"seed {seed}: row {row} spans {values[0]}…{values[Width - 1]}, not a zoom.");
            }
        }
    }

    [Fact]
    public void Apply_CropOfConstantImage_KeepsTheConstant()
    {
        float[] planes = new float[4 * Plane];
        Array.Fill(planes, 200f);

        AugmentationView.Jitter(3, flip: true).Apply(planes, Width, Height, HashA);
        float[] cropOnly = new float[4 * Plane];
        Array.Fill(cropOnly, 200f);
        (AugmentationView.Jitter(3, flip: true) with { Brightness = 0, Contrast = 0 }).Apply(cropOnly, Width, Height, HashA);

        Assert.All(cropOnly, v => Assert.Equal(200f, v, 1e-3f));
        Assert.All(planes.AsSpan(0, Plane).ToArray(), v => Assert.Equal(200f, v, 1e-3f)); // alpha is not jittered
    }

    [Fact]
    public void Apply_Jitter_KeepsColoursWithinAlphaAndAlphaUnchanged()
    {
        float[] input = RandomPlanes(seed: 6, opaque: false);
        var view = new AugmentationView { Brightness = 0.9, Contrast = 0.9 };
        for (int seed = 0; seed < 20; seed++)
        {
            float[] planes = (float[])input.Clone();

            (view with { Seed = seed }).Apply(planes, Width, Height, HashB);

            Assert.Equal(input.AsSpan(0, Plane).ToArray(), planes.AsSpan(0, Plane).ToArray());
            for (int c = 1; c < 4; c++)
            {
                for (int i = 0; i < Plane; i++)
                {
                    Assert.InRange(planes[(c * Plane) + i], 0f, planes[i]);
                }
            }
        }
    }

    [Fact]
    public void IsRandom_FlipAndJitter_OnlyJitterDrawsAtRandom()
    {
        Assert.False(AugmentationView.HorizontalFlip.IsRandom);
        Assert.False(new AugmentationView().IsRandom);
        Assert.True(AugmentationView.Jitter(1, flip: false).IsRandom);
        Assert.True(new AugmentationView { Contrast = 0.1 }.IsRandom);
    }

    [Fact]
    public void CanonicalKey_EachSettingAndSeed_GivesDistinctKeys()
    {
        string[] keys =
        [
            new AugmentationView().CanonicalKey(),
            AugmentationView.HorizontalFlip.CanonicalKey(),
            AugmentationView.Jitter(1, flip: false).CanonicalKey(),
            AugmentationView.Jitter(2, flip: false).CanonicalKey(),
            AugmentationView.Jitter(1, flip: true).CanonicalKey(),
            (AugmentationView.Jitter(1, flip: false) with { MinCropScale = 0.5 }).CanonicalKey(),
            (AugmentationView.Jitter(1, flip: false) with { MaxCropAspect = 1.5 }).CanonicalKey(),
            (AugmentationView.Jitter(1, flip: false) with { Brightness = 0.1 }).CanonicalKey(),
            (AugmentationView.Jitter(1, flip: false) with { Contrast = 0.1 }).CanonicalKey(),
        ];

        Assert.Equal(keys.Length, keys.Distinct(StringComparer.Ordinal).Count());
        Assert.Equal("flip=0;crop=0.6-1;aspect=0.75-1.3333333333333333;brightness=0.2;contrast=0.2;seed=2", keys[3]);
    }

    [Fact]
    public void ForPolicy_EachPolicy_ExpandsToDocumentedViews()
    {
        AugmentationView[] standard = [AugmentationView.HorizontalFlip, AugmentationView.Jitter(1, flip: false), AugmentationView.Jitter(2, flip: true)];

        Assert.Empty(AugmentationView.ForPolicy(AugmentationPolicy.None));
        Assert.Equal([AugmentationView.HorizontalFlip], AugmentationView.ForPolicy(AugmentationPolicy.Flip));
        Assert.Equal(standard, AugmentationView.ForPolicy(AugmentationPolicy.Standard));
        Assert.Equal([AugmentationView.HorizontalFlip], AugmentationView.ForPolicy(AugmentationPolicy.Auto));
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => AugmentationView.ForPolicy((AugmentationPolicy)42));
        Assert.Contains("42", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_EveryInvalidSetting_ListsEachProblem()
    {
        var view = new AugmentationView { MinCropScale = 0, MaxCropScale = 1.5, MinCropAspect = -1, MaxCropAspect = double.PositiveInfinity, Brightness = 1, Contrast = -0.1 };

        var e = Assert.Throws<OptionsValidationException>(view.Validate);

        Assert.StartsWith("Invalid AugmentationView / Validation Errors:", e.Message, StringComparison.Ordinal);
        IReadOnlyList<string> lines = e.Problems;
        Assert.Equal(6, lines.Count);
        Assert.Contains(lines, l => l.StartsWith("MinCropScale must be in (0, 1]", StringComparison.Ordinal) && l.Contains("was 0", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("MaxCropScale must be in (0, 1]", StringComparison.Ordinal) && l.Contains("was 1.5", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("MinCropAspect", StringComparison.Ordinal) && l.Contains("was -1", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("MaxCropAspect", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("Brightness must be in [0, 1)", StringComparison.Ordinal) && l.Contains("was 1", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("Contrast must be in [0, 1)", StringComparison.Ordinal) && l.Contains("was -0.1", StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_MinAboveMax_SaysToSwap()
    {
        var view = new AugmentationView { MinCropScale = 0.9, MaxCropScale = 0.5, MinCropAspect = 2, MaxCropAspect = 1 };

        var e = Assert.Throws<OptionsValidationException>(view.Validate);

        Assert.Contains("MinCropScale must be at most MaxCropScale, was 0.9 > 0.5; swap them.", e.Message, StringComparison.Ordinal);
        Assert.Contains("MinCropAspect must be at most MaxCropAspect, was 2 > 1; swap them.", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_PresetViews_AreValid()
    {
        foreach (var view in AugmentationView.ForPolicy(AugmentationPolicy.Standard).Append(new AugmentationView()))
        {
            view.Validate();
        }
    }

    [Fact]
    public void FeaturizerOptionsValidate_InvalidView_NamesTheViewOption()
    {
        var options = new FeaturizerOptions { BatchSize = 0, View = new AugmentationView { Brightness = 2 } };

        var e = Assert.Throws<OptionsValidationException>(options.Validate);

        Assert.Contains("BatchSize must be in [1, 4096], was 0.", e.Message, StringComparison.Ordinal);
        Assert.Contains($"{Environment.NewLine}- View.Brightness must be in [0, 1)", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Apply_PlanesOfWrongLength_ThrowsNamingTheSizes()
    {
        var e = Assert.Throws<ArgumentException>(() => AugmentationView.HorizontalFlip.Apply(new float[(4 * Plane) - 1], Width, Height, default));

        Assert.Equal("planes", e.ParamName);
        Assert.Contains("9×7", e.Message, StringComparison.Ordinal);
    }

    /// <summary>Integer values 0–255 in every plane; with <paramref name="opaque"/> false, colours are premultiplied by a random alpha (some 0).</summary>
    private static float[] RandomPlanes(int seed, bool opaque)
    {
        var random = new Random(seed);
        float[] planes = new float[4 * Plane];
        for (int i = 0; i < Plane; i++)
        {
            int alpha = opaque ? 255 : (i % 5 == 0 ? 0 : random.Next(256));
            planes[i] = alpha;
            for (int c = 1; c < 4; c++)
            {
                planes[(c * Plane) + i] = MathF.Round(random.Next(256) * alpha / 255f);
            }
        }

        return planes;
    }
}
