using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms;
using Transfer.Backbones;
using Transfer.Featurization;
using Transfer.Heads;
using Transfer.IO;
using Transfer.Models;

namespace Transfer.Pipelines.MlNet;

/// <summary>
/// Builds the drop-in's scoring chain from ML.NET's own transforms, with the chain builder <see cref="TransferModel"/>
/// uses (<see cref="ScoringChainBuilder"/>): copy the bytes column → decode (<see cref="ImageBytesDecoder"/>) → the
/// backbone (<c>ResizeImages</c> → <c>ExtractPixels</c> → <c>ApplyOnnxModel</c>) → the head's ML.NET transformers (key
/// <c>PredictedLabel</c>, no key-to-value step) → drop the intermediates.
/// </summary>
internal static class ScoringChain
{
    public const string FeaturesColumn = BackboneTensorNames.Features;

    public static ITransformer Build(MLContext ml, DataViewSchema inputSchema, string imageColumn, Featurizer featurizer, TrainedHead head, string scoreColumn, string predictedLabelColumn)
    {
        // An empty view with the input's schema: every step below is fitted on the schema only.
        var chain = new ScoringChainBuilder(ml, new EmptyDataView(inputSchema))
            .Append(ml.Transforms.CopyColumns(ImageBytesDecoder.BytesColumn, imageColumn))
            .Append(ml.Transforms.CustomMapping(new ImageBytesDecoder().GetMapping(), ImageBytesDecoder.ContractName));

        // ApplyOnnxModel reads the graph from a file (again when saving); the round trip below embeds it, then the file goes.
        using var onnxFile = new TemporaryOnnxFile(featurizer.OnnxModel, "dropin");
        string onnxPath = onnxFile.FilePath;

        // The featurizer's preprocessing is Compatible: ResizeImages (Fill) and ExtractPixels give its exact pixels.
        var backbone = featurizer.Backbone;
        chain.AppendBackbone(ImageBytesDecoder.ImageColumn, backbone.Width, backbone.Height, featurizer.Options.Preprocessing.ResizeMode, onnxPath, gpuDeviceId: null, fallbackToCpu: false);
        var headSteps = Flatten(head.ScoringTransformer).ToList();
        while (headSteps.Count > 0 && headSteps[^1] is KeyToValueMappingTransformer)
        {
            headSteps.RemoveAt(headSteps.Count - 1); // ImageClassificationTrainer's PredictedLabel is a key; the user maps it back.
        }

        foreach (var step in headSteps)
        {
            chain.Append(step);
        }

        if (scoreColumn != "Score" || predictedLabelColumn != "PredictedLabel")
        {
            chain.Append(ml.Transforms.CopyColumns(scoreColumn, "Score").Append(ml.Transforms.CopyColumns(predictedLabelColumn, "PredictedLabel")));
        }

        var drop = new List<string> { ImageBytesDecoder.BytesColumn, ImageBytesDecoder.ImageColumn, BackboneTensorNames.Pixels };
        drop.AddRange(chain.Schema.Select(c => c.Name).Where(n => n == NeuralHeadTrainer.LogProbabilitiesColumn));
        if (scoreColumn != "Score")
        {
            drop.Add("Score");
        }

        if (predictedLabelColumn != "PredictedLabel")
        {
            drop.Add("PredictedLabel");
        }

        chain.Append(ml.Transforms.DropColumns([.. drop.Distinct(StringComparer.Ordinal)]));
        var built = chain.Build();

        // Save and load once: proves the chain serialises, and the loaded ONNX transformer owns its own copy of the graph.
        using var buffer = new MemoryStream();
        ml.Model.Save(built, null, buffer);
        buffer.Position = 0;
        return ml.Model.Load(buffer, out _);
    }

    private static IEnumerable<ITransformer> Flatten(ITransformer transformer)
    {
        if (transformer is IEnumerable<ITransformer> chain)
        {
            foreach (var inner in chain)
            {
                foreach (var t in Flatten(inner))
                {
                    yield return t;
                }
            }
        }
        else
        {
            yield return transformer;
        }
    }

    /// <summary>A data view with a schema and no rows.</summary>
    private sealed class EmptyDataView(DataViewSchema schema) : IDataView
    {
        public bool CanShuffle => false;

        public DataViewSchema Schema { get; } = schema;

        public long? GetRowCount() => 0;

        public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null) => new EmptyCursor(Schema);

        public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) => [new EmptyCursor(Schema)];
    }

    private sealed class EmptyCursor(DataViewSchema schema) : DataViewRowCursor
    {
        public override DataViewSchema Schema { get; } = schema;

        public override long Position => -1;

        public override long Batch => 0;

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column) => throw new InvalidOperationException("An empty view has no rows to read.");

        public override ValueGetter<DataViewRowId> GetIdGetter() => throw new InvalidOperationException("An empty view has no rows to read.");

        public override bool IsColumnActive(DataViewSchema.Column column) => true;

        public override bool MoveNext() => false;
    }
}
