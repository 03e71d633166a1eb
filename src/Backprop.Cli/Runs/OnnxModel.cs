using Google.Protobuf;
using Onnx;

namespace Backprop.Cli.Runs;

/// <summary>
/// The model as an ONNX graph, built from ONNX's own protobuf types (OnnxSharp's <c>Onnx</c> namespace): <c>input</c> (N, 784)
/// float32 → Gemm(0.weight, 0.bias) → Relu → Gemm(2.weight, 2.bias) → ... → <c>logits</c> (N, 10), a Gemm per <c>nn.Linear</c> and a
/// Relu between, each node named by its index in the <c>nn.Sequential</c>. Gemm with <c>transB = 1</c> is <c>nn.Linear</c>:
/// <c>x · Wᵀ + b</c>, with W stored (out, in) as PyTorch stores it.
/// </summary>
internal static class OnnxModel
{
    /// <summary>
    /// The opset: 13 has every operator the graph needs, and both ONNX 1.12 (Debian 12's python3-onnx, up to opset 17)
    /// and ONNX Runtime 1.31 read it.
    /// </summary>
    public const int Opset = 13;

    /// <summary>IR version 7 goes with opset 13 (ONNX 1.8's pairing); ONNX 1.12 reads up to 8.</summary>
    public const int IrVersion = 7;

    /// <summary>The graph's input name: (N, 784) float32 images scaled as in training (byte / 256).</summary>
    public const string Input = "input";

    /// <summary>The graph's output name: (N, 10) float32 logits (before softmax).</summary>
    public const string Output = "logits";

    /// <summary>The ONNX model of the <c>nn.Sequential</c> whose <c>state_dict</c> is <paramref name="weights"/> (<see cref="HiddenLayers.StateDict"/>).</summary>
    /// <exception cref="ArgumentException">The weights are not such a state_dict.</exception>
    public static ModelProto Build(IReadOnlyList<CheckpointTensor> weights, string producerVersion)
    {
        var hidden = StateDictFile.HiddenOf(weights);
        var graph = new GraphProto
        {
            Name = "backprop_mlp",
            Input = { Value(Input, "N", 784) },
            Output = { Value(Output, "N", 10) },
        };
        var x = Input;
        for (var l = 0; l <= hidden.Count; l++)
        {
            var (gemm, relu) = ($"{2 * l}", $"{(2 * l) + 1}");
            var y = l == hidden.Count ? Output : $"{gemm}.output";
            graph.Node.Add(Gemm(gemm, x, $"{gemm}.weight", $"{gemm}.bias", y));
            if (l == hidden.Count) break;
            graph.Node.Add(new NodeProto { Name = relu, OpType = "Relu", Input = { y }, Output = { $"{relu}.output" } });
            x = $"{relu}.output";
        }
        graph.Initializer.AddRange(weights.Select(Initializer));
        return new ModelProto
        {
            IrVersion = IrVersion,
            OpsetImport = { new OperatorSetIdProto { Domain = "", Version = Opset } },
            ProducerName = "backprop",
            ProducerVersion = producerVersion,
            DocString = $"fast.ai lesson 04's model, {hidden.Architecture}: {hidden.Module}; input: MNIST images (N, 784), byte / 256",
            Graph = graph,
        };
    }

    /// <summary>Writes the model of <paramref name="weights"/> to <paramref name="path"/> atomically.</summary>
    /// <exception cref="ArgumentException">The model would pass protobuf's 2 GiB limit (see <see cref="TooLarge"/>).</exception>
    public static void Save(string path, IReadOnlyList<CheckpointTensor> weights, string producerVersion)
    {
        if (TooLarge(weights) is { } why) throw new ArgumentException(why, nameof(weights));
        var model = Build(weights, producerVersion);
        AtomicFile.Write(path, s => model.WriteTo(s));
    }

    /// <summary>The most bytes an ONNX file may have: protobuf cannot parse a message of 2 GiB or more.</summary>
    public const long MaxBytes = int.MaxValue;

    /// <summary>
    /// Why the ONNX model of <paramref name="weights"/> cannot be written, or <see langword="null"/> if it can: its
    /// initializers alone (4 bytes a weight, by the tensors' shapes) would pass <see cref="MaxBytes"/>, which no ONNX reader
    /// can parse. Checked before anything is built or written.
    /// </summary>
    public static string? TooLarge(IReadOnlyList<CheckpointTensor> weights)
    {
        ArgumentNullException.ThrowIfNull(weights);
        var bytes = weights.Sum(w => w.Shape.Aggregate(4L, (a, b) => a * b));
        return bytes + (1 << 16) <= MaxBytes ? null
            : $"its weights take {bytes:N0} bytes, and an ONNX file must stay under protobuf's 2 GiB ({MaxBytes:N0} bytes); export it as pt or safetensors instead";
    }

    /// <summary>Whether <paramref name="file"/> parses as an ONNX model with a graph (it is left at position 0).</summary>
    public static bool LooksLike(Stream file) => Parse(file) is not null;

    /// <summary>Whether <paramref name="file"/> holds an ONNX model that backprop exported: what <c>export</c> may replace.</summary>
    public static bool Holds(Stream file) => Parse(file) is { ProducerName: "backprop" };

    // The model, or null when the bytes are not one: field 1 (ir_version) first, as every ONNX writer puts it, then a full parse.
    private static ModelProto? Parse(Stream file)
    {
        try
        {
            file.Position = 0;
            if (file.Length is < 2 or > MaxBytes || file.ReadByte() != 0x08) return null;
            file.Position = 0;
            var model = ModelProto.Parser.ParseFrom(file);
            return model.Graph is not null && model.IrVersion > 0 ? model : null;
        }
        catch (InvalidProtocolBufferException)
        {
            return null;
        }
        finally
        {
            file.Position = 0;
        }
    }

    // nn.Linear: Y = X · Bᵀ + C.
    private static NodeProto Gemm(string name, string x, string weight, string bias, string y) => new()
    {
        Name = name,
        OpType = "Gemm",
        Input = { x, weight, bias },
        Output = { y },
        Attribute = { new AttributeProto { Name = "transB", Type = AttributeProto.Types.AttributeType.Int, I = 1 } },
    };

    private static TensorProto Initializer(CheckpointTensor t)
    {
        var proto = new TensorProto { Name = t.Name, DataType = (int)TensorProto.Types.DataType.Float };
        proto.Dims.AddRange(t.Shape);
        proto.FloatData.AddRange(t.Values);
        return proto;
    }

    private static ValueInfoProto Value(string name, string batch, long features) => new()
    {
        Name = name,
        Type = new TypeProto
        {
            TensorType = new TypeProto.Types.Tensor
            {
                ElemType = (int)TensorProto.Types.DataType.Float,
                Shape = new TensorShapeProto
                {
                    Dim =
                    {
                        new TensorShapeProto.Types.Dimension { DimParam = batch },
                        new TensorShapeProto.Types.Dimension { DimValue = features },
                    },
                },
            },
        },
    };
}
