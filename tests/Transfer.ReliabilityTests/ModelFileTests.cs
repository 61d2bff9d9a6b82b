using Google.Protobuf;
using Onnx;
using Transfer.Backbones;
using Transfer.Featurization;
using Transfer.Images;
using Transfer.Models;
using Xunit.Abstractions;

namespace Transfer.ReliabilityTests;

/// <summary>Damaged model zips, ONNX files that are not usable CNN backbones, hostile images at prediction time, and unseen classes.</summary>
public sealed class ModelFileTests(SmallModelFixture fixture, ITestOutputHelper output) : IClassFixture<SmallModelFixture>, IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("transfer-rel-model-").FullName;

    public void Dispose() => Directory.Delete(_root, true);

    public static TheoryData<string> DamagedModels => ["empty", "random", "first-half", "last-half", "html", "no-manifest"];

    [Theory]
    [MemberData(nameof(DamagedModels))]
    public void Load_DamagedModelZip_ThrowsInvalidDataNamingTheFile(string damage)
    {
        byte[] good = File.ReadAllBytes(fixture.ModelPath);
        string path = Path.Combine(_root, damage + ".zip");
        switch (damage)
        {
            case "empty":
                File.WriteAllBytes(path, []);
                break;
            case "random":
                File.WriteAllBytes(path, HostileFiles.RandomBytes(100_000, 3));
                break;
            case "first-half":
                File.WriteAllBytes(path, good[..(good.Length / 2)]);
                break;
            case "last-half":
                File.WriteAllBytes(path, good[(good.Length / 2)..]);
                break;
            case "html":
                File.WriteAllBytes(path, HostileFiles.Html());
                break;
            default:
                File.Copy(fixture.ModelPath, path);
                using (var zip = System.IO.Compression.ZipFile.Open(path, System.IO.Compression.ZipArchiveMode.Update))
                {
                    zip.GetEntry(TransferModel.ManifestEntry)!.Delete();
                }

                break;
        }

        var e = Assert.Throws<InvalidDataException>(() => TransferModel.Load(path));
        Assert.StartsWith($"Model \"{path}\"", e.Message, StringComparison.Ordinal);
        output.WriteLine($"{damage}: {e.Message}");
    }

    [Fact]
    public async Task Load_OneFlippedBitAnywhere_RefusedOrPredictsExactlyAsBefore()
    {
        // A tiny-backbone model (about 38 KB, most of it the stored ONNX entry), one bit flipped at each of 250
        // seeded places: every load either fails with InvalidDataException naming the file, or (a bit in a zip
        // header field that no reader uses, such as a timestamp) predicts exactly what the intact file predicts.
        // Before Load checked each entry's CRC-32, about one flip in eight loaded and predicted differently.
        var images = Transfer.Testing.SyntheticImages.InMemory(new Transfer.Testing.SyntheticImageOptions { ImagesPerClass = 6 });
        using var cache = new Transfer.Testing.TemporaryBottleneckCache();
        using var result = await Transfer.Pipelines.TransferPipeline.For(images).WithBackbone(Transfer.Testing.TinyBackbone.Default)
            .CacheBottlenecks(cache.Directory).TestFraction(0.3, seed: 7).Build().RunAsync();
        string intact = Path.Combine(_root, "intact.zip");
        result.Model.Save(intact);
        byte[] good = File.ReadAllBytes(intact);
        List<float[]> expected;
        using (var model = TransferModel.Load(intact))
        using (var predictor = model.CreatePredictor())
        {
            expected = predictor.PredictBatch(images.Entries).Select(p => p.Scores.ToArray()).ToList();
        }

        var random = new Random(20261127);
        int refused = 0, unchanged = 0;
        string path = Path.Combine(_root, "flipped.zip");
        for (int i = 0; i < 250; i++)
        {
            int at = random.Next(good.Length), bit = random.Next(8);
            byte[] bytes = (byte[])good.Clone();
            bytes[at] ^= (byte)(1 << bit);
            File.WriteAllBytes(path, bytes);
            TransferModel model;
            try
            {
                model = TransferModel.Load(path);
            }
            catch (InvalidDataException e)
            {
                Assert.StartsWith($"Model \"{path}\"", e.Message, StringComparison.Ordinal);
                refused++;
                continue;
            }

            using (model)
            using (var predictor = model.CreatePredictor())
            {
                var actual = predictor.PredictBatch(images.Entries);
                for (int n = 0; n < actual.Count; n++)
                {
                    Assert.True(expected[n].SequenceEqual(actual[n].Scores), $"Byte {at} bit {bit} flipped: the model loaded and image {n} scored [{string.Join(", ", actual[n].Scores)}] instead of [{string.Join(", ", expected[n])}].");
                }
            }

            unchanged++;
        }

        output.WriteLine($"{good.Length}-byte model, 250 one-bit flips: {refused} refused, {unchanged} loaded and predicted as before");
        Assert.True(refused > 200, $"Only {refused} of 250 flips were refused: the CRC check is not reading the entries.");
    }

    [Fact]
    public void Load_MissingModel_ThrowsFileNotFound()
    {
        string path = Path.Combine(_root, "nope.zip");
        var e = Assert.Throws<FileNotFoundException>(() => TransferModel.Load(path));
        Assert.Equal($"Model \"{path}\" does not exist. Pass the path of a model zip saved by Transfer.", e.Message);
    }

    [Fact]
    public void Featurizer_OnnxThatIsNotACnn_RefusedSayingWhy()
    {
        // A dense layer over a flat vector: a valid ONNX model, but no NCHW image input.
        var model = Model(Input("x", 1, 512), Output("y", 1, 10), Node("MatMul", ["x", "w"], ["y"]), Initializer("w", [512, 10]));
        var backbone = Backbone.FromBytes(model, Descriptor("x", "y", 224, 10));
        var e = Assert.Throws<ArgumentException>(() => new Featurizer(backbone));
        Assert.Equal("Backbone \"test\": input \"x\" must be a 4-D NCHW image tensor, has 2 dimensions. Only CNNs with an NCHW image input can be used.", e.Message);
    }

    [Theory]
    [InlineData(3, 32, 224, "[1, 3, 32, 32]")]
    [InlineData(1, 224, 224, "[1, 1, 224, 224]")]
    public void Featurizer_OnnxWithWrongInputShape_RefusedNamingBothShapes(int channels, int size, int descriptorSize, string shape)
    {
        var model = Model(Input("img", 1, channels, size, size), Output("pool", 1, channels, 1, 1), Node("GlobalAveragePool", ["img"], ["pool"]));
        var backbone = Backbone.FromBytes(model, Descriptor("img", "pool", descriptorSize, channels));
        var e = Assert.Throws<ArgumentException>(() => new Featurizer(backbone));
        Assert.Equal($"Backbone \"test\": input \"img\" has shape {shape}, but the descriptor says [N, 3, {descriptorSize}, {descriptorSize}]. Fix Width/Height in the descriptor or use a 3-channel model.", e.Message);
    }

    [Fact]
    public void Featurizer_OnnxOutputShorterThanTheDescriptorSays_RefusedNamingTheFeatureLength()
    {
        // A tiny real CNN: 3 channels in, global average pool → 3 features; the descriptor claims 512.
        var model = Model(Input("img", 1, 3, 8, 8), Output("pool", 1, 3, 1, 1), Node("GlobalAveragePool", ["img"], ["pool"]));
        var backbone = Backbone.FromBytes(model, Descriptor("img", "pool", 8, 512));
        var e = Assert.Throws<ArgumentException>(() => new Featurizer(backbone));
        Assert.Equal("Backbone \"test\": output \"pool\" has shape [1, 3, 1, 1], 3 features per image, but the descriptor says FeatureLength = 512. Fix FeatureLength in the descriptor.", e.Message);
    }

    [Fact]
    public async Task FeaturizeAsync_TinyCnnWithMatchingDescriptor_Works()
    {
        // The same tiny CNN, described correctly: any ONNX CNN plugs in (the control for the refusals above).
        var model = Model(Input("img", 1, 3, 8, 8), Output("pool", 1, 3, 1, 1), Node("GlobalAveragePool", ["img"], ["pool"]));
        using var featurizer = new Featurizer(Backbone.FromBytes(model, Descriptor("img", "pool", 8, 3)));
        var result = await featurizer.FeaturizeAsync(ImageSet.FromEntries([ImageEntry.FromBytes(HostileFiles.Encode(8, 8, (_, _) => HostileFiles.Red, SkiaSharp.SKEncodedImageFormat.Png), "a", "red.png")]));
        Assert.Equal([220f, 20f, 20f], result.Features.Row(0).ToArray());
    }

    [Fact]
    public void BuildFeaturizerModel_BytesThatAreNotOnnx_RefusedSayingSo()
    {
        var backbone = Backbone.FromBytes(HostileFiles.RandomBytes(1000, 5), Descriptor("img", "pool", 8, 3));
        var e = Assert.Throws<ArgumentException>(() => new Featurizer(backbone));
        Assert.StartsWith("Backbone \"test\": \"(in memory)\" is not a valid ONNX model", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("zero-bytes")]
    [InlineData("html-as-png")]
    [InlineData("truncated-jpeg")]
    public void Predict_HostileImage_ThrowsInvalidImageNamingIt(string name)
    {
        string path = Path.Combine(_root, name + ".png");
        File.WriteAllBytes(path, ImageFormatTests.Hostile(name));
        using var predictor = fixture.Model.CreatePredictor();
        var e = Assert.Throws<InvalidImageException>(() => predictor.Predict(path));
        Assert.Equal(path, e.Source);

        // The predictor stays usable after a bad image.
        Assert.Contains(predictor.Predict(TestData.Images("test", "Bag", 1)[0]).Label, fixture.Model.Classes);
    }

    [Fact]
    public void Predict_DecompressionBomb_RefusedByThePredictorsPixelLimit()
    {
        using var predictor = fixture.Model.CreatePredictor(new PredictorOptions { MaxPixels = 10_000 });
        var e = Assert.Throws<InvalidImageException>(() => predictor.Predict(HostileFiles.PngBomb(200, 200)));
        Assert.Contains("over the limit of 10000", e.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Predict_MissingFile_ThrowsInvalidImageSayingItCannotBeRead()
    {
        string path = Path.Combine(_root, "gone.png");
        using var predictor = fixture.Model.CreatePredictor();
        var e = Assert.Throws<InvalidImageException>(() => predictor.Predict(path));
        Assert.StartsWith("the file cannot be read (Could not find file", e.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Predict_ImagesOfUnseenClasses_AlwaysAnswerOneOfTheTrainedClasses()
    {
        // A closed-set classifier: an image of a class it never saw still gets one of its classes, with
        // probabilities summing to 1. Only the top score hints that it is out of distribution.
        using var predictor = fixture.Model.CreatePredictor();
        var seen = predictor.PredictBatch(new[] { "Bag", "Sneaker", "Trouser" }.SelectMany(c => TestData.Images("test", c, 10)).ToList());
        var unseen = predictor.PredictBatch(new[] { "Dress", "Pullover", "Ankle_boot" }.SelectMany(c => TestData.Images("test", c, 10)).ToList());
        Assert.All(unseen, p =>
        {
            Assert.Contains(p.Label, fixture.Model.Classes);
            Assert.Equal(1f, p.Scores.Sum(), 1e-3f);
        });
        double seenTop = seen.Average(p => p.Score);
        double unseenTop = unseen.Average(p => p.Score);
        output.WriteLine($"mean top score: seen classes {seenTop:F3}, unseen classes {unseenTop:F3}; unseen answered as {string.Join(", ", unseen.GroupBy(p => p.Label).Select(g => $"{g.Key} ×{g.Count()}"))}");
    }

    private static BackboneDescriptor Descriptor(string input, string outputName, int size, int features) => new()
    {
        Name = "test", InputName = input, OutputName = outputName, Width = size, Height = size, FeatureLength = features,
    };

    private static byte[] Model(ValueInfoProto input, ValueInfoProto output, NodeProto node, params TensorProto[] initializers)
    {
        var graph = new GraphProto { Name = "g" };
        graph.Input.Add(input);
        graph.Output.Add(output);
        graph.Node.Add(node);
        graph.Initializer.AddRange(initializers);
        var model = new ModelProto { IrVersion = 7, Graph = graph, ProducerName = "Transfer.ReliabilityTests" };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = string.Empty, Version = 13 });
        return model.ToByteArray();
    }

    private static ValueInfoProto Input(string name, params long[] dims) => Output(name, dims);

    private static ValueInfoProto Output(string name, params long[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (long d in dims)
        {
            shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = d });
        }

        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = shape } } };
    }

    private static NodeProto Node(string op, string[] inputs, string[] outputs)
    {
        var node = new NodeProto { OpType = op, Name = op };
        node.Input.AddRange(inputs);
        node.Output.AddRange(outputs);
        return node;
    }

    private static TensorProto Initializer(string name, long[] dims)
    {
        var t = new TensorProto { Name = name, DataType = (int)TensorProto.Types.DataType.Float };
        t.Dims.AddRange(dims);
        t.RawData = ByteString.CopyFrom(new byte[dims.Aggregate(4L, (a, b) => a * b)]);
        return t;
    }
}
