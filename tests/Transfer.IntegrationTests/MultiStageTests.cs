using System.Numerics.Tensors;
using Microsoft.ML.OnnxRuntime;
using Transfer.Backbones;
using Transfer.Backbones.Quantization;
using Transfer.Featurization;
using Transfer.Images;

namespace Transfer.IntegrationTests;

/// <summary>Multi-stage features, other input sizes and test-time flip on the real ResNet18 and real images.</summary>
public sealed class MultiStageTests
{
    private static readonly ImageSet Sample = SampleImages();

    [Fact]
    public async Task ResNet18MultiStage_RealImages_768FeaturesEachBlockUnitNormFirstBlockIsResNet18Normalised()
    {
        var multi = Backbones.Backbones.ResNet18MultiStage;
        Assert.Equal(("ResNet18-MS", 224, 224, 768), (multi.Name, multi.Width, multi.Height, multi.FeatureLength));
        Assert.NotEqual(Backbones.Backbones.ResNet18.Fingerprint, multi.Fingerprint);
        var ms = await FeaturesAsync(multi, Sample);
        var plain = await FeaturesAsync(Backbones.Backbones.ResNet18, Sample);
        Assert.Equal(768, ms.Dimension);
        for (int i = 0; i < Sample.Count; i++)
        {
            var row = ms.Row(i);
            Assert.Equal(1f, Norm(row[..512]), 1e-4f);
            Assert.Equal(1f, Norm(row[512..]), 1e-4f);
            var reference = plain.Row(i).ToArray();
            float norm = Norm(reference);
            for (int j = 0; j < 512; j++)
            {
                Assert.True(Math.Abs((reference[j] / norm) - row[j]) <= 1e-4f, $"{Sample.Entries[i].Name} feature {j}: {row[j]} vs ResNet18's normalised {reference[j] / norm}");
            }

            Assert.True(TensorPrimitives.Min(row[512..]) >= 0, "the stage-3 block pools ReLU outputs");
        }
    }

    [Fact]
    public void ByName_ResNet18Ms_IsTheMultiStageBackbone()
    {
        Assert.Contains("resnet18-ms", Backbones.Backbones.Names);
        Assert.Same(Backbones.Backbones.ResNet18MultiStage, Backbones.Backbones.ByName("ResNet18-MS"));
        Assert.Same(Backbones.Backbones.ResNet18, Backbones.Backbones.ByName("resnet18"));
    }

    [Fact]
    public async Task WithInputSize_ResNet18At320_FiniteFeaturesDifferentFromThe224OnesNewFingerprint()
    {
        var resNet18 = Backbones.Backbones.ResNet18;
        var larger = resNet18.WithInputSize(320, 320);
        Assert.Equal(("ResNet18@320", 320, 320, 512), (larger.Name, larger.Width, larger.Height, larger.FeatureLength));
        Assert.NotEqual(resNet18.Fingerprint, larger.Fingerprint);
        Assert.Equal(3 * 320 * 320, larger.Descriptor.MeanImage!.Count);

        var at224 = await FeaturesAsync(resNet18, Sample);
        var at320 = await FeaturesAsync(larger, Sample);
        for (int i = 0; i < Sample.Count; i++)
        {
            Assert.All(at320.Row(i).ToArray(), v => Assert.True(float.IsFinite(v)));
            Assert.False(at224.Row(i).SequenceEqual(at320.Row(i)), $"{Sample.Entries[i].Name}: the same features at 320 as at 224");
            float cosine = TensorPrimitives.CosineSimilarity(at224.Row(i), at320.Row(i));
            Assert.True(cosine is > 0.5f and < 0.9999f, $"{Sample.Entries[i].Name}: cosine 224 vs 320 is {cosine}; the same image should give related but different features");
        }

        var multi = await FeaturesAsync(Backbones.Backbones.ResNet18MultiStage.WithInputSize(320, 320), Sample);
        Assert.Equal(768, multi.Dimension);
        Assert.Equal(1f, Norm(multi.Row(0)[512..]), 1e-4f);
    }

    [Theory]
    [InlineData("resnet18")]
    [InlineData("resnet18-ms")]
    public void BuildFeaturizerModel_HorizontalFlip_EqualsMeanOfFeaturesOfImageAndMirroredImage(string name)
    {
        var backbone = Backbones.Backbones.ByName(name);
        int w = backbone.Width, h = backbone.Height, d = backbone.FeatureLength, n = 4;
        var pixels = new float[n * 4 * w * h];
        for (int i = 0; i < n; i++)
        {
            var entry = Sample.Entries[i];
            ImageDecoder.DecodeToPlanes(entry.ReadBytes().Span, entry.Name, w, h, ImagePreprocessing.Default, pixels.AsSpan(i * 4 * w * h, 4 * w * h));
        }

        var mirrored = new float[pixels.Length];
        for (int row = 0; row < pixels.Length / w; row++)
        {
            for (int x = 0; x < w; x++)
            {
                mirrored[(row * w) + x] = pixels[(row * w) + w - 1 - x];
            }
        }

        string fingerprint = backbone.Fingerprint;
        var plainModel = backbone.BuildFeaturizerModel();
        var a = Run(plainModel, pixels, n, w, h);
        var b = Run(plainModel, mirrored, n, w, h);
        var tta = Run(backbone.BuildFeaturizerModel(ImagePreprocessing.Default, TestTimeAugmentation.HorizontalFlip), pixels, n, w, h);
        Assert.Equal(fingerprint, backbone.Fingerprint);
        Assert.Equal(n * d, tta.Length);
        float scale = TensorPrimitives.MaxMagnitude(a);
        for (int j = 0; j < tta.Length; j++)
        {
            float expected = (a[j] + b[j]) / 2;
            Assert.True(Math.Abs(tta[j] - expected) <= 1e-4f * Math.Max(1f, scale), $"image {j / d} feature {j % d}: {tta[j]} vs ({a[j]} + {b[j]}) / 2");
        }

        Assert.True(TensorPrimitives.Distance(a, b) > 1e-2f * TensorPrimitives.Norm(a), "mirroring should change the features of real photos");
    }

    [Fact]
    public async Task QuantizeAsync_ResNet18MultiStage_Int8HasUnitNormBlocksCloseToFp32()
    {
        var train = ImageSet.FromDirectory(TestData.QuickStartTrain);
        var fp32 = Backbones.Backbones.ResNet18MultiStage;
        var int8 = await fp32.QuantizeAsync(train, new QuantizationOptions { CalibrationImageCount = 16, HeldOutImageCount = 16 });
        Assert.Equal(("ResNet18-MS-int8", 768), (int8.Name, int8.FeatureLength));
        Assert.Empty(int8.Quantization!.Warnings);
        Assert.True(int8.Quantization.MeanCosine > 0.97, $"mean cosine {int8.Quantization.MeanCosine}");
        var features = await FeaturesAsync(int8, Sample);
        var reference = await FeaturesAsync(fp32, Sample);
        for (int i = 0; i < Sample.Count; i++)
        {
            Assert.Equal(1f, Norm(features.Row(i)[..512]), 1e-4f);
            Assert.Equal(1f, Norm(features.Row(i)[512..]), 1e-4f);
            float cosine = TensorPrimitives.CosineSimilarity(reference.Row(i)[512..], features.Row(i)[512..]);
            Assert.True(cosine > 0.95f, $"{Sample.Entries[i].Name}: stage-3 block cosine int8 vs fp32 {cosine}");
        }
    }

    private static ImageSet SampleImages()
    {
        var images = ImageSet.FromDirectory(TestData.QuickStartTest);
        return ImageSet.FromEntries(images.Entries.Where((_, i) => i % 25 == 0).Take(8), images.Classes);
    }

    private static async Task<FeatureMatrix> FeaturesAsync(Backbone backbone, ImageSet images)
    {
        using var featurizer = new Featurizer(backbone);
        return (await featurizer.FeaturizeAsync(images)).Features;
    }

    private static float[] Run(byte[] model, float[] pixels, int count, int width, int height)
    {
        using var options = new SessionOptions();
        using var session = new InferenceSession(model, options);
        using var input = OrtValue.CreateTensorValueFromMemory(pixels, [count, 4, height, width]);
        using var runOptions = new RunOptions();
        using var outputs = session.Run(runOptions, ["Pixels"], [input], ["Features"]);
        return outputs[0].GetTensorDataAsSpan<float>().ToArray();
    }

    private static float Norm(ReadOnlySpan<float> values) => TensorPrimitives.Norm(values);
}
