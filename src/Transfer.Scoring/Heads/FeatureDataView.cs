using Microsoft.ML;
using Microsoft.ML.Data;
using Transfer.Featurization;

namespace Transfer.Heads;

/// <summary>Builds ML.NET data views over feature rows: <c>Features</c> (vector of known size) and <c>Label</c> (key with the class names as values).</summary>
internal static class FeatureDataView
{
    public const string FeaturesColumn = "Features";
    public const string LabelColumn = "Label";

    /// <summary>The type ML.NET's ApplyOnnxModel gives the backbone's [N, D] output: a [1, D] vector. Heads train on the same type so the saved chain's schema matches.</summary>
    public static VectorDataViewType FeatureType(int dimension) => new(NumberDataViewType.Single, 1, dimension);

    public static IDataView Create(MLContext ml, FeatureMatrix matrix, IReadOnlyList<string> classes) =>
        Create(ml, matrix.Values, matrix.Count, matrix.Dimension, matrix.Labels, classes);

    public static IDataView Create(MLContext ml, float[] values, int count, int dimension, int[]? labels, IReadOnlyList<string> classes)
    {
        var schema = SchemaDefinition.Create(typeof(LabelledRow));
        schema[nameof(LabelledRow.Features)].ColumnType = FeatureType(dimension);
        DefineLabel(schema[nameof(LabelledRow.Label)], classes);
        return ml.Data.LoadFromEnumerable(Rows(values, count, dimension, labels), schema);
    }

    /// <summary>Makes a column the <c>Label</c> key column, with the class names as its key values (so ML.NET's predictions carry them).</summary>
    public static void DefineLabel(SchemaDefinition.Column label, IReadOnlyList<string> classes)
    {
        label.ColumnName = LabelColumn;
        label.ColumnType = new KeyDataViewType(typeof(uint), classes.Count);
        var names = new VBuffer<ReadOnlyMemory<char>>(classes.Count, classes.Select(c => c.AsMemory()).ToArray());
        label.AddAnnotation("KeyValues", names, new VectorDataViewType(TextDataViewType.Instance, classes.Count));
    }

    public static IDataView CreateUnlabelled(MLContext ml, ReadOnlyMemory<float> values, int count, int dimension)
    {
        var schema = SchemaDefinition.Create(typeof(UnlabelledRow));
        schema[nameof(UnlabelledRow.Features)].ColumnType = FeatureType(dimension);
        return ml.Data.LoadFromEnumerable(UnlabelledRows(values, count, dimension), schema);
    }

    private static IEnumerable<LabelledRow> Rows(float[] values, int count, int dimension, int[]? labels)
    {
        for (int i = 0; i < count; i++)
        {
            yield return new LabelledRow
            {
                Features = values.AsSpan(i * dimension, dimension).ToArray(),
                Label = labels is null ? 0u : (uint)labels[i], // LoadFromEnumerable takes keys 0-based (it stores index + 1)
            };
        }
    }

    private static IEnumerable<UnlabelledRow> UnlabelledRows(ReadOnlyMemory<float> values, int count, int dimension)
    {
        for (int i = 0; i < count; i++)
        {
            yield return new UnlabelledRow { Features = values.Slice(i * dimension, dimension).ToArray() };
        }
    }

    private sealed class LabelledRow
    {
        public float[] Features { get; set; } = [];

        public uint Label { get; set; }
    }

    private sealed class UnlabelledRow
    {
        public float[] Features { get; set; } = [];
    }
}
