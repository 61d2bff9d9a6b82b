using Microsoft.ML;
using Microsoft.ML.Data;

namespace Transfer.Images;

/// <summary>Reads a label column of text or key-with-text-values type as strings.</summary>
internal static class LabelReader
{
    public static Func<DataViewRowCursor, Func<string>> Create(DataViewSchema.Column column)
    {
        if (column.Type is TextDataViewType)
        {
            return cursor =>
            {
                var getter = cursor.GetGetter<ReadOnlyMemory<char>>(column);
                ReadOnlyMemory<char> value = default;
                return () =>
                {
                    getter(ref value);
                    return value.ToString();
                };
            };
        }

        if (column.Type is KeyDataViewType)
        {
            VBuffer<ReadOnlyMemory<char>> names = default;
            column.GetKeyValues(ref names);
            var names2 = names.DenseValues().Select(n => n.ToString()).ToArray();
            return cursor =>
            {
                var getter = cursor.GetGetter<uint>(column);
                uint key = 0;
                return () =>
                {
                    getter(ref key);
                    return key == 0 || key > names2.Length ? string.Empty : names2[key - 1];
                };
            };
        }

        throw new DatasetException($"Label column \"{column.Name}\" has type {column.Type}; expected text, or a key with text values (MapValueToKey).");
    }
}
