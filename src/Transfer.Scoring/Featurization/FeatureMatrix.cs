namespace Transfer.Featurization;

/// <summary>
/// A dense, row-major matrix of bottleneck features (one row per image) with the class index of each row.
/// </summary>
/// <remarks>Rows are contiguous in <see cref="Values"/>: row <c>i</c> is <c>Values[(i * Dimension)..((i + 1) * Dimension)]</c>.</remarks>
public sealed class FeatureMatrix
{
    /// <summary>Creates a feature matrix over existing storage (no copy).</summary>
    /// <param name="values">Row-major values, <paramref name="count"/> × <paramref name="dimension"/> long at least.</param>
    /// <param name="count">Number of rows.</param>
    /// <param name="dimension">Length of each feature vector.</param>
    /// <param name="labels">Class index of each row (0 … <paramref name="classCount"/> − 1), <paramref name="count"/> long at least.</param>
    /// <param name="classCount">Number of classes.</param>
    /// <exception cref="ArgumentException">A size is negative or does not fit the arrays, or a label is out of range.</exception>
    public FeatureMatrix(float[] values, int count, int dimension, int[] labels, int classCount)
    {
        ArgumentNullException.ThrowIfNull(values);
        ArgumentNullException.ThrowIfNull(labels);
        if (count < 0 || dimension <= 0 || (long)count * dimension > values.Length)
        {
            throw new ArgumentException($"Parameter \"count\" × \"dimension\" must fit the {values.Length} values, was {count} × {dimension}.", nameof(count));
        }

        if (labels.Length < count)
        {
            throw new ArgumentException($"Parameter \"labels\" must have {count} entries, had {labels.Length}.", nameof(labels));
        }

        if (classCount < 1)
        {
            throw new ArgumentException($"Parameter \"classCount\" must be at least 1, was {classCount}.", nameof(classCount));
        }

        for (int i = 0; i < count; i++)
        {
            if ((uint)labels[i] >= (uint)classCount)
            {
                throw new ArgumentException($"Label of row {i} must be in [0, {classCount}), was {labels[i]}.", nameof(labels));
            }
        }

        Values = values;
        Count = count;
        Dimension = dimension;
        Labels = labels;
        ClassCount = classCount;
    }

    /// <summary>Gets the row-major feature values.</summary>
    public float[] Values { get; }

    /// <summary>Gets the number of rows (images).</summary>
    public int Count { get; }

    /// <summary>Gets the length of each feature vector.</summary>
    public int Dimension { get; }

    /// <summary>Gets the class index of each row.</summary>
    public int[] Labels { get; }

    /// <summary>Gets the number of classes.</summary>
    public int ClassCount { get; }

    /// <summary>Gets row <paramref name="index"/> as a span.</summary>
    /// <param name="index">Row index.</param>
    /// <returns>The row's values.</returns>
    public ReadOnlySpan<float> Row(int index) => Values.AsSpan(index * Dimension, Dimension);

    /// <summary>Returns a new matrix holding the given rows, in that order (values are copied).</summary>
    /// <param name="rows">Row indices.</param>
    /// <returns>The selected rows.</returns>
    public FeatureMatrix Select(IReadOnlyList<int> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var values = new float[rows.Count * Dimension];
        var labels = new int[rows.Count];
        for (int i = 0; i < rows.Count; i++)
        {
            Row(rows[i]).CopyTo(values.AsSpan(i * Dimension, Dimension));
            labels[i] = Labels[rows[i]];
        }

        return new FeatureMatrix(values, rows.Count, Dimension, labels, ClassCount);
    }
}
