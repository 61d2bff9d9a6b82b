using System.Numerics.Tensors;
using SkiaSharp;
using Transfer.Augmentation;
using Transfer.Caching;
using Transfer.Featurization;
using Transfer.Images;

namespace Transfer.IntegrationTests;

/// <summary>Augmented views (<see cref="FeaturizerOptions.View"/>) on the real ResNet18: their features, their cache store, their keys.</summary>
public sealed class AugmentationTests
{
    [Fact]
    public async Task FeaturizeAsync_JitterView_DiffersFromPlainFeatures()
    {
        var images = Sample(4);
        using var plain = new Featurizer(Backbones.Backbones.ResNet18);
        using var viewed = new Featurizer(Backbones.Backbones.ResNet18, new FeaturizerOptions { View = AugmentationView.Jitter(1, flip: false) });

        var plainFeatures = await plain.FeaturizeAsync(images);
        var viewFeatures = await viewed.FeaturizeAsync(images);

        Assert.Equal(images.Count, viewFeatures.Features.Count);
        for (int i = 0; i < images.Count; i++)
        {
            float relative = MaxDifference(plainFeatures.Features.Row(i), viewFeatures.Features.Row(i)) / Math.Abs(TensorPrimitives.MaxMagnitude(plainFeatures.Features.Row(i)));
            Assert.True(relative > 1e-2f, $"{images.Entries[i].Name}: the jittered view's features are within {relative:E2} of the plain ones.");
        }
    }

    [Fact]
    public async Task FeaturizeAsync_FlipViewOnMirroredPair_GivesTheOtherPlainFeatures()
    {
        // Drawn at the backbone's 224×224, so resizing keeps the pixels and the decoded mirror is exactly the mirrored file.
        (byte[] left, byte[] right) = MirroredPair(224, 224);
        var set = ImageSet.FromEntries([ImageEntry.FromBytes(left, "x", "left.png"), ImageEntry.FromBytes(right, "x", "right.png")]);
        using var plain = new Featurizer(Backbones.Backbones.ResNet18);
        using var flipped = new Featurizer(Backbones.Backbones.ResNet18, new FeaturizerOptions { View = AugmentationView.HorizontalFlip });

        var plainFeatures = await plain.FeaturizeAsync(set);
        var flipFeatures = await flipped.FeaturizeAsync(set);

        Assert.True(MaxDifference(plainFeatures.Features.Row(0), plainFeatures.Features.Row(1)) > 1e-2f, "The pair must not be left/right symmetric, or the test proves nothing.");
        Assert.True(MaxDifference(plainFeatures.Features.Row(1), flipFeatures.Features.Row(0)) <= 1e-4f, $"flip(left) vs plain(right): {MaxDifference(plainFeatures.Features.Row(1), flipFeatures.Features.Row(0)):E2}");
        Assert.True(MaxDifference(plainFeatures.Features.Row(0), flipFeatures.Features.Row(1)) <= 1e-4f, $"flip(right) vs plain(left): {MaxDifference(plainFeatures.Features.Row(0), flipFeatures.Features.Row(1)):E2}");
    }

    [Fact]
    public async Task FeaturizeAsync_ViewIntoCacheTwice_RerunAllHitsAndPlainStoreUntouched()
    {
        string dir = Path.Combine(Path.GetTempPath(), $"transfer-view-cache-{Guid.NewGuid():N}");
        try
        {
            var images = Sample(6);
            using var plain = new Featurizer(Backbones.Backbones.ResNet18);
            using var viewed = new Featurizer(Backbones.Backbones.ResNet18, new FeaturizerOptions { View = AugmentationView.Jitter(2, flip: true) });
            FeaturizationResult first, again;
            using (var cache = BottleneckCache.Open(dir))
            {
                first = await viewed.FeaturizeAsync(images, cache.GetStore(viewed.FeatureSpaceKey, viewed.FeatureLength));
            }

            using (var cache = BottleneckCache.Open(dir))
            {
                again = await viewed.FeaturizeAsync(images, cache.GetStore(viewed.FeatureSpaceKey, viewed.FeatureLength));
                Assert.False(Directory.Exists(Path.Combine(dir, BottleneckCache.StoreDirectoryName(plain.FeatureSpaceKey))), "The plain store must not be written.");
                Assert.Equal(0, cache.GetStore(plain.FeatureSpaceKey, plain.FeatureLength).Count);
            }

            var uncached = await viewed.FeaturizeAsync(images);
            Assert.Equal((0, images.Count), (first.CacheHits, first.Computed));
            Assert.Equal((images.Count, 0), (again.CacheHits, again.Computed));
            Assert.Equal(first.Features.Values, again.Features.Values);
            Assert.Equal(uncached.Features.Values, first.Features.Values);
            Assert.True(Directory.Exists(Path.Combine(dir, BottleneckCache.StoreDirectoryName(viewed.FeatureSpaceKey))), "The view's store must be written.");
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void FeatureSpaceKey_PerViewAndSeed_Differs()
    {
        var backbone = Backbones.Backbones.ResNet18;
        AugmentationView?[] views = [null, AugmentationView.HorizontalFlip, AugmentationView.Jitter(1, flip: false), AugmentationView.Jitter(2, flip: false), AugmentationView.Jitter(1, flip: true)];
        var keys = new List<string>();
        foreach (var view in views)
        {
            using var featurizer = new Featurizer(backbone, new FeaturizerOptions { View = view }, deferSession: true);
            keys.Add(featurizer.FeatureSpaceKey);
        }

        Assert.Equal(backbone.FeatureSpaceKey(ImagePreprocessing.Default), keys[0]);
        Assert.Equal(keys.Count, keys.Distinct(StringComparer.Ordinal).Count());
        using var sameView = new Featurizer(backbone, new FeaturizerOptions { View = AugmentationView.Jitter(2, flip: false) }, deferSession: true);
        Assert.Equal(keys[3], sameView.FeatureSpaceKey);
    }

    private static ImageSet Sample(int count)
    {
        var images = ImageSet.FromDirectory(TestData.QuickStartTest);
        return ImageSet.FromEntries(images.Entries.Where((_, i) => i % 10 == 0).Take(count), images.Classes);
    }

    private static float MaxDifference(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        var difference = new float[a.Length];
        TensorPrimitives.Subtract(a, b, difference);
        return Math.Abs(TensorPrimitives.MaxMagnitude(difference)); // MaxMagnitude keeps the sign
    }

    /// <summary>An asymmetric opaque drawing and its exact pixel mirror, both lossless PNGs.</summary>
    private static (byte[] Left, byte[] Right) MirroredPair(int width, int height)
    {
        using var left = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Opaque));
        using (var canvas = new SKCanvas(left))
        {
            canvas.Clear(new SKColor(235, 230, 220));
            using var paint = new SKPaint { Color = new SKColor(200, 40, 40), IsAntialias = true };
            canvas.DrawRect(20, 30, 70, 120, paint);
            paint.Color = new SKColor(30, 90, 200);
            canvas.DrawCircle(150, 150, 40, paint);
            paint.Color = new SKColor(20, 140, 60);
            using var triangle = SKPath.ParseSvgPathData("M 120 20 L 210 40 L 160 90 Z");
            canvas.DrawPath(triangle, paint);
        }

        using var right = new SKBitmap(left.Info);
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                right.SetPixel(width - 1 - x, y, left.GetPixel(x, y));
            }
        }

        using var leftData = left.Encode(SKEncodedImageFormat.Png, 100);
        using var rightData = right.Encode(SKEncodedImageFormat.Png, 100);
        return (leftData.ToArray(), rightData.ToArray());
    }
}
