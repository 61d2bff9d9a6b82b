using System.Reflection;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using Microsoft.ML.Trainers;

namespace Transfer.Heads.MaximumEntropy;

/// <summary>
/// Builds the transformer chain ML.NET's <c>LbfgsMaximumEntropy(...).Append(MapKeyToValue("PredictedLabel"))</c> fits —
/// a <c>MulticlassPredictionTransformer&lt;MaximumEntropyModelParameters&gt;</c> then <c>MapKeyToValue</c> — from
/// weights computed elsewhere, so a head trained in Transfer saves, loads and scores exactly like ML.NET's own.
/// ML.NET has no public constructor for these types; they are created through their internal constructors, which
/// exist unchanged in the pinned Microsoft.ML 6.0.0 (the save/reload tests fail loudly if that changes).
/// </summary>
internal static class MaximumEntropyTransformer
{
    /// <summary>Creates the chain.</summary>
    /// <param name="ml">The context.</param>
    /// <param name="featuresColumn">The input vector column.</param>
    /// <param name="weights">Class-major weights, classes × <paramref name="featureCount"/>.</param>
    /// <param name="bias">One bias per class.</param>
    /// <param name="featureCount">The input vector's length.</param>
    /// <param name="classes">Class names (the label's key values).</param>
    /// <returns>The fitted chain: <c>Score</c> (probabilities in class order) and <c>PredictedLabel</c> (text).</returns>
    public static ITransformer Create(MLContext ml, string featuresColumn, ReadOnlySpan<float> weights, float[] bias, int featureCount, IReadOnlyList<string> classes)
    {
        int c = classes.Count;
        var env = (IHostEnvironment)ml;
        var rows = new VBuffer<float>[c];
        for (int k = 0; k < c; k++)
        {
            rows[k] = new VBuffer<float>(featureCount, weights.Slice(k * featureCount, featureCount).ToArray());
        }

        var modelCtor = typeof(MaximumEntropyModelParameters).GetConstructor(
            BindingFlags.Instance | BindingFlags.NonPublic,
            [typeof(IHostEnvironment), typeof(VBuffer<float>[]), typeof(float[]), typeof(int), typeof(int), typeof(string[]), typeof(ModelStatisticsBase)])
            ?? throw new InvalidOperationException("This Microsoft.ML version lacks MaximumEntropyModelParameters' internal constructor; Transfer needs Microsoft.ML 6.0.0.");
        var model = (MaximumEntropyModelParameters)modelCtor.Invoke([env, rows, bias, c, featureCount, classes.ToArray(), null]);

        var schema = InputSchema(ml, featuresColumn, featureCount, classes);
        var transformerCtor = typeof(MulticlassPredictionTransformer<MaximumEntropyModelParameters>).GetConstructor(
            BindingFlags.Instance | BindingFlags.NonPublic,
            [typeof(IHostEnvironment), typeof(MaximumEntropyModelParameters), typeof(DataViewSchema), typeof(string), typeof(string), typeof(string), typeof(string)])
            ?? throw new InvalidOperationException("This Microsoft.ML version lacks MulticlassPredictionTransformer's internal constructor; Transfer needs Microsoft.ML 6.0.0.");
        var prediction = (ITransformer)transformerCtor.Invoke([env, model, schema.Schema, featuresColumn, FeatureDataView.LabelColumn, "Score", "PredictedLabel"]);
        var keyToValue = ml.Transforms.Conversion.MapKeyToValue("PredictedLabel").Fit(prediction.Transform(schema));
        return new TransformerChain<ITransformer>(prediction, keyToValue);
    }

    private static IDataView InputSchema(MLContext ml, string column, int featureCount, IReadOnlyList<string> classes)
    {
        var definition = SchemaDefinition.Create(typeof(Row));
        var values = definition.First(c => c.MemberName == nameof(Row.Values));
        values.ColumnName = column;
        values.ColumnType = FeatureDataView.FeatureType(featureCount);
        FeatureDataView.DefineLabel(definition.First(c => c.MemberName == nameof(Row.Label)), classes);
        return ml.Data.LoadFromEnumerable(new List<Row>(), definition);
    }

    private sealed class Row
    {
        public float[] Values { get; set; } = [];

        public uint Label { get; set; }
    }
}
