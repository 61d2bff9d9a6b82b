using SkiaSharp;
using Transfer.Featurization;
using Transfer.Images;

namespace Transfer.IntegrationTests;

/// <summary>Transparency is composited on the documented background inside the backbone graph.</summary>
public sealed class AlphaAndGrayscaleTests
{
    [Fact]
    public async Task FeaturizeAsync_TransparentBackground_EqualsSameShapeOnWhite()
    {
        byte[] transparent = Draw(SKColors.Transparent);
        byte[] white = Draw(SKColors.White);
        byte[] black = Draw(SKColors.Black);
        using var featurizer = new Featurizer(Backbones.Backbones.ResNet18);
        var set = ImageSet.FromEntries(
        [
            ImageEntry.FromBytes(transparent, "x", "transparent.png"),
            ImageEntry.FromBytes(white, "x", "white.png"),
            ImageEntry.FromBytes(black, "x", "black.png"),
        ]);
        var result = await featurizer.FeaturizeAsync(set);
        FeaturizerParityTests.AssertClose(result.Features.Row(1), result.Features.Row(0), 1e-3f, "transparent vs white");
        float difference = 0;
        for (int i = 0; i < result.Features.Dimension; i++)
        {
            difference += Math.Abs(result.Features.Row(0)[i] - result.Features.Row(2)[i]);
        }

        Assert.True(difference > 1f, "A black background must give different features, or compositing did nothing.");
    }

    [Fact]
    public async Task FeaturizeAsync_BlackBackgroundOption_MakesTransparentEqualBlack()
    {
        using var featurizer = new Featurizer(Backbones.Backbones.ResNet18, new FeaturizerOptions { Preprocessing = new ImagePreprocessing { AlphaBackground = 0x000000 } });
        var set = ImageSet.FromEntries(
        [
            ImageEntry.FromBytes(Draw(SKColors.Transparent), "x", "transparent.png"),
            ImageEntry.FromBytes(Draw(SKColors.Black), "x", "black.png"),
        ]);
        var result = await featurizer.FeaturizeAsync(set);
        FeaturizerParityTests.AssertClose(result.Features.Row(1), result.Features.Row(0), 1e-3f, "transparent vs black");
    }

    private static byte[] Draw(SKColor background)
    {
        using var bitmap = new SKBitmap(new SKImageInfo(96, 96, SKColorType.Rgba8888, SKAlphaType.Unpremul));
        using (var canvas = new SKCanvas(bitmap))
        {
            canvas.Clear(background);
            using var paint = new SKPaint { Color = new SKColor(200, 40, 40), IsAntialias = false };
            canvas.DrawRect(20, 20, 50, 40, paint);
            paint.Color = new SKColor(30, 90, 200);
            canvas.DrawCircle(60, 65, 18, paint);
        }

        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }
}
