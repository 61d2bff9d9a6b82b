using System.Collections.Immutable;
using System.Reflection.Emit;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;
using Transfer.Images;

namespace Transfer.Core.Tests;

/// <summary>
/// The folders of Transfer.Core depend on each other one way (docs/ARCHITECTURE.md): a folder uses only the folders
/// before it in <see cref="Order"/>, apart from the known cycles listed in <see cref="KnownCycles"/>. Read from the
/// compiled assembly (signatures and IL), so a reference through a fully qualified name or a <c>var</c> counts too;
/// documentation <c>cref</c>s and inlined constants do not.
/// </summary>
public sealed class FolderDependencyTests
{
    /// <summary>The folders from the bottom up; keep docs/ARCHITECTURE.md in step.</summary>
    private static readonly string[] Order =
    [
        "IO", "Diagnostics", "Validation", "Images", "Augmentation", "Backbones", "Featurization", "Search", "Caching", "Heads", "Evaluation", "Auditing", "FineTuning", "Models", "Reporting",
    ];

    /// <summary>References that point up, each with the reason; remove an entry once its cycle is broken.</summary>
    private static readonly (string From, string To, string Why)[] KnownCycles =
    [
        ("Backbones", "Featurization", "Backbones/Quantization: the int8 accuracy guard featurizes held-out images"),
        ("Backbones", "Heads", "Backbones/Quantization: the int8 accuracy guard trains a head on the features"),
        ("Heads", "Evaluation", "AutoHeadTrainer chooses a head by cross-validation"),
    ];

    private static readonly Lazy<Dictionary<(string From, string To), string>> s_references = new(() => FolderReferences.Read(typeof(ContentHash).Assembly.Location));

    [Fact]
    public void Folders_EveryFolderIsInTheOrder()
    {
        var unplaced = s_references.Value.Keys.SelectMany(k => new[] { k.From, k.To }).Distinct().Except(Order).Order(StringComparer.Ordinal).ToList();

        Assert.True(unplaced.Count == 0, "Folders missing from Order (place them, and in docs/ARCHITECTURE.md): " + string.Join(", ", unplaced));
    }

    [Fact]
    public void Folders_ReferenceOnlyFoldersBelow_ExceptTheKnownCycles()
    {
        var upward = s_references.Value
            .Where(r => Array.IndexOf(Order, r.Key.To) > Array.IndexOf(Order, r.Key.From))
            .Where(r => !KnownCycles.Any(c => c.From == r.Key.From && c.To == r.Key.To))
            .Select(r => $"{r.Key.From} -> {r.Key.To} ({r.Value})")
            .Order(StringComparer.Ordinal)
            .ToList();

        Assert.True(upward.Count == 0, "References that point up the folder order (move the type to the folder that owns it):\n" + string.Join('\n', upward));
    }

    [Fact]
    public void KnownCycles_AreStillThere()
    {
        // A cycle that was broken must leave the list, so the list never allows more than it has to.
        var gone = KnownCycles.Where(c => !s_references.Value.ContainsKey((c.From, c.To))).Select(c => $"{c.From} -> {c.To}: {c.Why}").ToList();

        Assert.True(gone.Count == 0, "Known cycles that are gone (remove them from KnownCycles and docs/ARCHITECTURE.md):\n" + string.Join('\n', gone));
    }

    [Fact]
    public void Read_FindsReferencesInSignaturesAndMethodBodies()
    {
        // Guards the reader itself: an empty result would let every other test here pass.
        var references = s_references.Value;

        Assert.Contains(("Caching", "Images"), references.Keys); // BottleneckStore.Lookup(ReadOnlySpan<ContentHash>, …): a signature
        Assert.Contains(("Caching", "Featurization"), references.Keys); // BottleneckStore implements IFeatureStore
        Assert.Contains(("Heads", "Backbones"), references.Keys); // NeuralHeadTrainer.BuildScoringGraph calls BackboneGraph: only in a method body
        Assert.DoesNotContain(("Images", "Caching"), references.Keys);
        Assert.DoesNotContain(("Featurization", "Caching"), references.Keys);
    }

    /// <summary>Reads which folder's types each folder's types use, from the metadata of a compiled assembly.</summary>
    private static class FolderReferences
    {
        private static readonly Dictionary<ushort, OperandType> s_operands = typeof(OpCodes)
            .GetFields()
            .Select(f => (OpCode)f.GetValue(null)!)
            .ToDictionary(o => unchecked((ushort)o.Value), o => o.OperandType);

        /// <returns>(from folder, to folder) → one member that makes the reference, for the failure message.</returns>
        public static Dictionary<(string From, string To), string> Read(string assemblyPath)
        {
            using var stream = File.OpenRead(assemblyPath);
            using var pe = new PEReader(stream);
            MetadataReader md = pe.GetMetadataReader();
            var provider = new TypeCollector(md);
            var result = new Dictionary<(string, string), string>();
            foreach (TypeDefinitionHandle handle in md.TypeDefinitions)
            {
                string? from = FolderOf(md, handle);
                if (from is null)
                {
                    continue;
                }

                TypeDefinition type = md.GetTypeDefinition(handle);
                string typeName = md.GetString(type.Name);
                void Add(IEnumerable<TypeDefinitionHandle> targets, string member)
                {
                    foreach (TypeDefinitionHandle target in targets)
                    {
                        string? to = FolderOf(md, target);
                        if (to is not null && to != from)
                        {
                            result.TryAdd((from, to), $"{typeName}.{member} uses {md.GetString(md.GetTypeDefinition(target).Name)}");
                        }
                    }
                }

                if (!type.BaseType.IsNil)
                {
                    Add(provider.FromEntity(type.BaseType), "(base type)");
                }

                foreach (InterfaceImplementationHandle i in type.GetInterfaceImplementations())
                {
                    Add(provider.FromEntity(md.GetInterfaceImplementation(i).Interface), "(interface)");
                }

                foreach (FieldDefinitionHandle f in type.GetFields())
                {
                    FieldDefinition field = md.GetFieldDefinition(f);
                    Add(field.DecodeSignature(provider, null), md.GetString(field.Name));
                }

                foreach (MethodDefinitionHandle m in type.GetMethods())
                {
                    MethodDefinition method = md.GetMethodDefinition(m);
                    string name = md.GetString(method.Name);
                    MethodSignature<IEnumerable<TypeDefinitionHandle>> signature = method.DecodeSignature(provider, null);
                    Add(signature.ReturnType.Concat(signature.ParameterTypes.SelectMany(p => p)), name);
                    if (method.RelativeVirtualAddress != 0)
                    {
                        MethodBodyBlock body = pe.GetMethodBody(method.RelativeVirtualAddress);
                        if (!body.LocalSignature.IsNil)
                        {
                            Add(md.GetStandaloneSignature(body.LocalSignature).DecodeLocalSignature(provider, null).SelectMany(l => l), name);
                        }

                        Add(Tokens(body.GetILReader()).SelectMany(provider.FromEntity), name);
                    }
                }
            }

            return result;
        }

        /// <summary>The folder of a type (nested types count as their outermost type's), or null outside Transfer.</summary>
        private static string? FolderOf(MetadataReader md, TypeDefinitionHandle handle)
        {
            TypeDefinition type = md.GetTypeDefinition(handle);
            while (type.IsNested)
            {
                type = md.GetTypeDefinition(type.GetDeclaringType());
            }

            string[] parts = md.GetString(type.Namespace).Split('.');
            return parts.Length >= 2 && parts[0] == "Transfer" ? parts[1] : null;
        }

        /// <summary>The metadata tokens an IL stream refers to: members, types and fields (not strings or signatures).</summary>
        private static List<EntityHandle> Tokens(BlobReader il)
        {
            var tokens = new List<EntityHandle>();
            while (il.RemainingBytes > 0)
            {
                ushort code = il.ReadByte();
                if (code == 0xFE)
                {
                    code = (ushort)(0xFE00 | il.ReadByte());
                }

                switch (s_operands[code])
                {
                    case OperandType.InlineNone:
                        break;
                    case OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar:
                        il.Offset += 1;
                        break;
                    case OperandType.InlineVar:
                        il.Offset += 2;
                        break;
                    case OperandType.InlineField or OperandType.InlineMethod or OperandType.InlineTok or OperandType.InlineType:
                        tokens.Add(MetadataTokens.EntityHandle(il.ReadInt32()));
                        break;
                    case OperandType.InlineI8 or OperandType.InlineR:
                        il.Offset += 8;
                        break;
                    case OperandType.InlineSwitch:
                        int targets = il.ReadInt32();
                        il.Offset += 4 * targets;
                        break;
                    default:
                        il.Offset += 4;
                        break;
                }
            }

            return tokens;
        }
    }

    /// <summary>Decodes signatures into the types of this assembly they mention; types of other assemblies are dropped.</summary>
    private sealed class TypeCollector(MetadataReader md) : ISignatureTypeProvider<IEnumerable<TypeDefinitionHandle>, object?>
    {
        private static readonly TypeDefinitionHandle[] s_none = [];

        public IEnumerable<TypeDefinitionHandle> FromEntity(EntityHandle handle) => handle.Kind switch
        {
            HandleKind.TypeDefinition => [(TypeDefinitionHandle)handle],
            HandleKind.TypeSpecification => md.GetTypeSpecification((TypeSpecificationHandle)handle).DecodeSignature(this, null),
            HandleKind.MethodDefinition => [md.GetMethodDefinition((MethodDefinitionHandle)handle).GetDeclaringType()],
            HandleKind.FieldDefinition => [md.GetFieldDefinition((FieldDefinitionHandle)handle).GetDeclaringType()],
            HandleKind.MemberReference => FromEntity(md.GetMemberReference((MemberReferenceHandle)handle).Parent),
            HandleKind.MethodSpecification => FromMethodSpecification(md.GetMethodSpecification((MethodSpecificationHandle)handle)),
            _ => s_none,
        };

        public IEnumerable<TypeDefinitionHandle> GetArrayType(IEnumerable<TypeDefinitionHandle> elementType, ArrayShape shape) => elementType;

        public IEnumerable<TypeDefinitionHandle> GetByReferenceType(IEnumerable<TypeDefinitionHandle> elementType) => elementType;

        public IEnumerable<TypeDefinitionHandle> GetFunctionPointerType(MethodSignature<IEnumerable<TypeDefinitionHandle>> signature) =>
            signature.ReturnType.Concat(signature.ParameterTypes.SelectMany(p => p));

        public IEnumerable<TypeDefinitionHandle> GetGenericInstantiation(IEnumerable<TypeDefinitionHandle> genericType, ImmutableArray<IEnumerable<TypeDefinitionHandle>> typeArguments) =>
            genericType.Concat(typeArguments.SelectMany(a => a));

        public IEnumerable<TypeDefinitionHandle> GetGenericMethodParameter(object? genericContext, int index) => s_none;

        public IEnumerable<TypeDefinitionHandle> GetGenericTypeParameter(object? genericContext, int index) => s_none;

        public IEnumerable<TypeDefinitionHandle> GetModifiedType(IEnumerable<TypeDefinitionHandle> modifier, IEnumerable<TypeDefinitionHandle> unmodifiedType, bool isRequired) => unmodifiedType;

        public IEnumerable<TypeDefinitionHandle> GetPinnedType(IEnumerable<TypeDefinitionHandle> elementType) => elementType;

        public IEnumerable<TypeDefinitionHandle> GetPointerType(IEnumerable<TypeDefinitionHandle> elementType) => elementType;

        public IEnumerable<TypeDefinitionHandle> GetPrimitiveType(PrimitiveTypeCode typeCode) => s_none;

        public IEnumerable<TypeDefinitionHandle> GetSZArrayType(IEnumerable<TypeDefinitionHandle> elementType) => elementType;

        public IEnumerable<TypeDefinitionHandle> GetTypeFromDefinition(MetadataReader reader, TypeDefinitionHandle handle, byte rawTypeKind) => [handle];

        public IEnumerable<TypeDefinitionHandle> GetTypeFromReference(MetadataReader reader, TypeReferenceHandle handle, byte rawTypeKind) => s_none;

        public IEnumerable<TypeDefinitionHandle> GetTypeFromSpecification(MetadataReader reader, object? genericContext, TypeSpecificationHandle handle, byte rawTypeKind) =>
            reader.GetTypeSpecification(handle).DecodeSignature(this, genericContext);

        private IEnumerable<TypeDefinitionHandle> FromMethodSpecification(MethodSpecification specification) =>
            FromEntity(specification.Method).Concat(specification.DecodeSignature(this, null).SelectMany(a => a));
    }
}
