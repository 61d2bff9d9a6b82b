using Transfer.Backbones;
using Transfer.Core.Tests.Backbones.Quantization;
using Transfer.Testing;
using Transfer.Validation;

namespace Transfer.Core.Tests.Backbones;

/// <summary>Pooled intermediate outputs, per-block L2 normalisation and test-time flip in the featurizer graph, on a tiny CNN.</summary>
public sealed class MultiStageFeatureTests
{
    private const int Size = TinyCnn.Size;

    [Fact]
    public void BuildFeaturizerModel_PooledOutputWithL2_MainBlockThenPooledBlockEachUnitNorm()
    {
        var multi = Backbone.FromBytes(Model(), Descriptor() with { PooledOutputs = ["r1"], FeatureNormalization = FeatureNormalization.L2, FeatureLength = 8 });
        var main = Backbone.FromBytes(Model(), Descriptor());
        var stage1 = Backbone.FromBytes(Model(), Descriptor() with { OutputName = "r1", FeatureLength = 4 * Size * Size });
        var pixels = FeatureGraphRunner.Pixels(1, 3, Size, Size);

        var features = FeatureGraphRunner.Run(multi.BuildFeaturizerModel(), pixels, 3, Size, Size);
        var plain = FeatureGraphRunner.Run(main.BuildFeaturizerModel(), pixels, 3, Size, Size);
        var r1 = FeatureGraphRunner.Run(stage1.BuildFeaturizerModel(), pixels, 3, Size, Size);

        Assert.Equal(3 * 8, features.Length);
        for (int i = 0; i < 3; i++)
        {
            var row = features.AsSpan(i * 8, 8);
            Assert.Equal(1f, FeatureGraphRunner.Norm(row[..4]), 1e-5f);
            Assert.Equal(1f, FeatureGraphRunner.Norm(row[4..]), 1e-5f);
            var expectedMain = plain.AsSpan(i * 4, 4).ToArray();
            var expectedPooled = new float[4];
            for (int c = 0; c < 4; c++)
            {
                expectedPooled[c] = r1.AsSpan((i * 4 * Size * Size) + (c * Size * Size), Size * Size).ToArray().Average();
            }

            AssertClose(Normalized(expectedMain), row[..4], 1e-5f, $"image {i} main block");
            AssertClose(Normalized(expectedPooled), row[4..], 1e-5f, $"image {i} pooled block");
        }
    }

    [Fact]
    public void BuildFeaturizerModel_PooledOutputWithoutNormalization_AppendsTheRawChannelMeans()
    {
        var multi = Backbone.FromBytes(Model(), Descriptor() with { PooledOutputs = ["r1", "r2"], FeatureLength = 12 });
        var main = Backbone.FromBytes(Model(), Descriptor());
        var pixels = FeatureGraphRunner.Pixels(2, 2, Size, Size);
        var features = FeatureGraphRunner.Run(multi.BuildFeaturizerModel(), pixels, 2, Size, Size);
        var plain = FeatureGraphRunner.Run(main.BuildFeaturizerModel(), pixels, 2, Size, Size);
        Assert.Equal(2 * 12, features.Length);
        for (int i = 0; i < 2; i++)
        {
            // r2 is what the model's own AveragePool averages, so the last block repeats the main one exactly.
            AssertClose(plain.AsSpan(i * 4, 4).ToArray(), features.AsSpan((i * 12) + 8, 4), 1e-5f, $"image {i} r2 block");
            AssertClose(plain.AsSpan(i * 4, 4).ToArray(), features.AsSpan(i * 12, 4), 1e-6f, $"image {i} main block");
        }
    }

    [Fact]
    public void BuildFeaturizerModel_FeatureLengthNotTheTotal_ThrowsNamingEachBlockAndTheTotal()
    {
        var backbone = Backbone.FromBytes(Model(), Descriptor() with { PooledOutputs = ["r1"], FeatureLength = 4 });
        var e = Assert.Throws<ArgumentException>(() => backbone.BuildFeaturizerModel());
        Assert.Equal("Backbone \"TinyCnn\": output \"y\" gives 4 features and PooledOutputs [r1: 4] add 4, 8 per image, but the descriptor says FeatureLength = 4. Set FeatureLength to 8.", e.Message);
    }

    [Fact]
    public void BuildFeaturizerModel_PooledOutputNoNodeMakes_ThrowsNamingIt()
    {
        var backbone = Backbone.FromBytes(Model(), Descriptor() with { PooledOutputs = ["stage9"], FeatureLength = 8 });
        var e = Assert.Throws<ArgumentException>(() => backbone.BuildFeaturizerModel());
        Assert.Equal("Backbone \"TinyCnn\": PooledOutputs names [stage9], which no node of the model outputs. Fix PooledOutputs in the descriptor (names of intermediate node outputs [N, C, h, w]).", e.Message);
    }

    [Fact]
    public void Validate_BadPooledOutputs_ListsEveryProblem()
    {
        var descriptor = Descriptor() with { PooledOutputs = ["r1", "", "r1", "y"], FeatureNormalization = (FeatureNormalization)7 };
        var e = Assert.Throws<OptionsValidationException>(descriptor.Validate);
        Assert.Contains("PooledOutputs must name node outputs, had an empty name in [r1, , r1, y]. Remove the empty entry.", e.Message, StringComparison.Ordinal);
        Assert.Contains("PooledOutputs names [r1] more than once. Give each output once.", e.Message, StringComparison.Ordinal);
        Assert.Contains("PooledOutputs contains the main output \"y\", whose features are already included. List only intermediate outputs.", e.Message, StringComparison.Ordinal);
        Assert.Contains("FeatureNormalization must be None or L2, was 7.", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CanonicalKey_NewFieldsAtDefaults_UnchangedSoExistingFingerprintsStay()
    {
        Assert.Equal("in=x;out=y;w=8;h=8;d=4;order=Rgb;scale=1;mean=0,0,0;std=1,1,1", Descriptor().CanonicalKey());
        Assert.Equal(Descriptor().CanonicalKey(), (Descriptor() with { PooledOutputs = [] }).CanonicalKey());
    }

    [Fact]
    public void Fingerprint_PooledOutputsOrNormalization_Differs()
    {
        var plain = Backbone.FromBytes(Model(), Descriptor());
        var l2 = Backbone.FromBytes(Model(), Descriptor() with { FeatureNormalization = FeatureNormalization.L2 });
        var pooled = Backbone.FromBytes(Model(), Descriptor() with { PooledOutputs = ["r1"], FeatureLength = 8 });
        var both = Backbone.FromBytes(Model(), Descriptor() with { PooledOutputs = ["r1"], FeatureLength = 8, FeatureNormalization = FeatureNormalization.L2 });
        string[] fingerprints = [plain.Fingerprint, l2.Fingerprint, pooled.Fingerprint, both.Fingerprint];
        Assert.Equal(4, fingerprints.Distinct().Count());
        var p = Transfer.Images.ImagePreprocessing.Default;
        Assert.Equal(4, new[] { plain, l2, pooled, both }.Select(b => b.FeatureSpaceKey(p)).Distinct().Count());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void BuildFeaturizerModel_HorizontalFlip_EqualsMeanOfImageAndMirrorFeaturizedApart(bool multiStage)
    {
        // An asymmetric mean image: mirroring after normalisation would not equal featurizing the mirrored image.
        var random = new Random(5);
        var descriptor = Descriptor() with { Mean = null, Std = null, PixelScale = 1f / 64, MeanImage = [.. Enumerable.Range(0, 3 * Size * Size).Select(_ => (float)random.NextDouble() * 3)] };
        if (multiStage)
        {
            descriptor = descriptor with { PooledOutputs = ["r1"], FeatureNormalization = FeatureNormalization.L2, FeatureLength = 8 };
        }

        var backbone = Backbone.FromBytes(Model(), descriptor);
        int d = backbone.FeatureLength, n = 3;
        var pixels = FeatureGraphRunner.Pixels(3, n, Size, Size);
        var plainModel = backbone.BuildFeaturizerModel();
        var a = FeatureGraphRunner.Run(plainModel, pixels, n, Size, Size);
        var b = FeatureGraphRunner.Run(plainModel, FeatureGraphRunner.Mirror(pixels, Size), n, Size, Size);
        var tta = FeatureGraphRunner.Run(backbone.BuildFeaturizerModel(tta: TestTimeAugmentation.HorizontalFlip), pixels, n, Size, Size);

        Assert.Equal(n * d, tta.Length);
        Assert.NotEqual(a, b); // the image is not symmetric, so the flip matters
        for (int i = 0; i < n * d; i++)
        {
            Assert.True(Math.Abs(tta[i] - ((a[i] + b[i]) / 2)) <= 1e-4f * Math.Max(1f, Math.Abs(a[i])), $"feature {i}: {tta[i]} vs ({a[i]} + {b[i]}) / 2");
        }
    }

    [Fact]
    public void BuildFeaturizerModel_HorizontalFlip_KeepsFingerprintAndFeatureSpaceKey()
    {
        var backbone = Backbone.FromBytes(Model(), Descriptor());
        string fingerprint = backbone.Fingerprint;
        var graph = Onnx.ModelProto.Parser.ParseFrom(backbone.BuildFeaturizerModel(tta: TestTimeAugmentation.HorizontalFlip));
        Assert.Contains(graph.Graph.Node, node => node.OpType == "Slice");
        Assert.Equal(fingerprint, backbone.Fingerprint);
        Assert.Equal(Backbone.FromBytes(Model(), Descriptor()).FeatureSpaceKey(Transfer.Images.ImagePreprocessing.Default), backbone.FeatureSpaceKey(Transfer.Images.ImagePreprocessing.Default));
    }

    [Fact]
    public void BuildFeaturizerModel_UndefinedAugmentation_ThrowsNamingIt()
    {
        var backbone = Backbone.FromBytes(Model(), Descriptor());
        var e = Assert.Throws<ArgumentException>(() => backbone.BuildFeaturizerModel(tta: (TestTimeAugmentation)3));
        Assert.StartsWith("Test-time augmentation 3 is not a TestTimeAugmentation value. Pass None or HorizontalFlip.", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void BuildFeaturizerModel_TinyBackboneWithPooledFirstLayer_CountsChannelsThroughTheGraph()
    {
        // Channels inferred through Relu back to a Conv's weight: conv1 has 12.
        var d = TinyBackbone.CreateDescriptor() with { PooledOutputs = ["relu1_out"], FeatureLength = TinyBackbone.FeatureLength + 12 };
        var backbone = Backbone.FromBytes(TinyBackbone.BuildOnnx(), d);
        var features = FeatureGraphRunner.Run(backbone.BuildFeaturizerModel(), FeatureGraphRunner.Pixels(4, 1, TinyBackbone.Size, TinyBackbone.Size), 1, TinyBackbone.Size, TinyBackbone.Size);
        Assert.Equal(TinyBackbone.FeatureLength + 12, features.Length);
        var wrong = Backbone.FromBytes(TinyBackbone.BuildOnnx(), d with { FeatureLength = 70 });
        var e = Assert.Throws<ArgumentException>(() => wrong.BuildFeaturizerModel());
        Assert.Contains("Set FeatureLength to 76.", e.Message, StringComparison.Ordinal);
    }

    internal static byte[] Model() => Google.Protobuf.MessageExtensions.ToByteArray(TinyCnn.Create());

    internal static BackboneDescriptor Descriptor() => new()
    {
        Name = "TinyCnn",
        InputName = "x",
        OutputName = "y",
        Width = Size,
        Height = Size,
        FeatureLength = 4,
        PixelScale = 1f,
        Mean = [0f, 0f, 0f],
        Std = [1f, 1f, 1f],
    };

    private static float[] Normalized(float[] values)
    {
        float norm = FeatureGraphRunner.Norm(values);
        return [.. values.Select(v => v / norm)];
    }

    private static void AssertClose(float[] expected, ReadOnlySpan<float> actual, float tolerance, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int j = 0; j < expected.Length; j++)
        {
            Assert.True(Math.Abs(expected[j] - actual[j]) <= tolerance * Math.Max(1f, Math.Abs(expected[j])), $"{what}, feature {j}: expected {expected[j]}, got {actual[j]}.");
        }
    }
}
