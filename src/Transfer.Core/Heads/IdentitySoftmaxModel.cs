using System.Reflection;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using Microsoft.ML.Trainers;

namespace Transfer.Heads;

/// <summary>
/// Builds ML.NET's own maximum-entropy prediction transformer with identity weights and zero bias over a column of
/// log-probabilities: <c>softmax(I · log p) = p</c>, so a head computed elsewhere (an ONNX graph) gets ML.NET's
/// native <c>Score</c> and key-typed <c>PredictedLabel</c>, and a saved model needs no Transfer code to load.
/// ML.NET has no public constructor for these types; they are created through their internal constructors,
/// which exist unchanged in the pinned Microsoft.ML 5.0.1 (the save/reload tests fail loudly if that changes).
/// </summary>
internal static class IdentitySoftmaxModel
{
    public static ITransformer Create(MLContext ml, string logProbabilitiesColumn, IReadOnlyList<string> classes)
    {
        int c = classes.Count;
        var env = (IHostEnvironment)ml;
        var weights = new VBuffer<float>[c];
        for (int k = 0; k < c; k++)
        {
            var row = new float[c];
            row[k] = 1f;
            weights[k] = new VBuffer<float>(c, row);
        }

        var modelCtor = typeof(MaximumEntropyModelParameters).GetConstructor(
            BindingFlags.Instance | BindingFlags.NonPublic,
            [typeof(IHostEnvironment), typeof(VBuffer<float>[]), typeof(float[]), typeof(int), typeof(int), typeof(string[]), typeof(ModelStatisticsBase)])
            ?? throw new InvalidOperationException("This Microsoft.ML version lacks MaximumEntropyModelParameters' internal constructor; Transfer needs Microsoft.ML 5.0.1.");
        var model = (MaximumEntropyModelParameters)modelCtor.Invoke([env, weights, new float[c], c, c, classes.ToArray(), null]);

        var schema = InputSchema(ml, logProbabilitiesColumn, classes);
        var transformerCtor = typeof(MulticlassPredictionTransformer<MaximumEntropyModelParameters>).GetConstructor(
            BindingFlags.Instance | BindingFlags.NonPublic,
            [typeof(IHostEnvironment), typeof(MaximumEntropyModelParameters), typeof(DataViewSchema), typeof(string), typeof(string), typeof(string), typeof(string)])
            ?? throw new InvalidOperationException("This Microsoft.ML version lacks MulticlassPredictionTransformer's internal constructor; Transfer needs Microsoft.ML 5.0.1.");
        var prediction = (ITransformer)transformerCtor.Invoke([env, model, schema.Schema, logProbabilitiesColumn, FeatureDataView.LabelColumn, "Score", "PredictedLabel"]);
        var keyToValue = ml.Transforms.Conversion.MapKeyToValue("PredictedLabel").Fit(prediction.Transform(schema));
        return new TransformerChain<ITransformer>(prediction, keyToValue);
    }

    private static IDataView InputSchema(MLContext ml, string column, IReadOnlyList<string> classes)
    {
        var definition = SchemaDefinition.Create(typeof(Row));
        var values = definition.First(c => c.MemberName == nameof(Row.Values));
        values.ColumnName = column;
        values.ColumnType = FeatureDataView.FeatureType(classes.Count);
        FeatureDataView.DefineLabel(definition.First(c => c.MemberName == nameof(Row.Label)), classes);
        return ml.Data.LoadFromEnumerable(new List<Row>(), definition);
    }

    private sealed class Row
    {
        public float[] Values { get; set; } = [];

        public uint Label { get; set; }
    }
}
