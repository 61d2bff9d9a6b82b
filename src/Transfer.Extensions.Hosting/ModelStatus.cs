namespace Transfer.Hosting;

/// <summary>What a <see cref="ReloadingPredictorPool"/> serves now.</summary>
/// <param name="ModelPath">The full path of the model file.</param>
/// <param name="Generation">1 for the model loaded at start, one more for each reload.</param>
/// <param name="LoadedUtc">When the serving model was loaded.</param>
/// <param name="Classes">Its class names.</param>
/// <param name="PoolSize">The most predictions run at once.</param>
/// <param name="PredictorsCreated">The predictors the serving model's pool has created so far (at most <paramref name="PoolSize"/>).</param>
/// <param name="LastError">Why the last reload failed (the previous model still serves), or <see langword="null"/>.</param>
public sealed record ModelStatus(string ModelPath, int Generation, DateTimeOffset LoadedUtc, IReadOnlyList<string> Classes, int PoolSize, int PredictorsCreated, string? LastError);

/// <summary>What identifies a version of the model file: its size and last write time at one check.</summary>
/// <param name="Length">The size in bytes.</param>
/// <param name="LastWriteUtc">The last write time.</param>
public readonly record struct ModelFileSignature(long Length, DateTime LastWriteUtc)
{
    internal static ModelFileSignature? Read(string path)
    {
        var info = new FileInfo(path);
        return info.Exists ? new ModelFileSignature(info.Length, info.LastWriteTimeUtc) : null;
    }
}
