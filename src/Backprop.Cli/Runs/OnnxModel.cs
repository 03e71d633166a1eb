using Google.Protobuf;
using Onnx;

namespace Backprop.Cli.Runs;

/// <summary>
/// The lesson's model as an ONNX graph, built from ONNX's own protobuf types (OnnxSharp's <c>Onnx</c> namespace):
/// <c>input</c> (N, 784) float32 → Gemm(0.weight, 0.bias) → Relu → Gemm(2.weight, 2.bias) → <c>logits</c> (N, 10).
/// Gemm with <c>transB = 1</c> is <c>nn.Linear</c>: <c>x · Wᵀ + b</c>, with W stored (out, in) as PyTorch stores it.
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

    /// <summary>The ONNX model of the lesson's <c>nn.Sequential</c> with <paramref name="weights"/> (<see cref="StateDictFile.Keys"/>).</summary>
    public static ModelProto Build(IReadOnlyList<CheckpointTensor> weights, string producerVersion)
    {
        ArgumentNullException.ThrowIfNull(weights);
        var w = weights.ToDictionary(t => t.Name);
        if (!StateDictFile.Keys.All(w.ContainsKey))
            throw new ArgumentException($"expected the tensors {string.Join(", ", StateDictFile.Keys)}", nameof(weights));
        var graph = new GraphProto
        {
            Name = "backprop_mlp",
            Input = { Value(Input, "N", 784) },
            Output = { Value(Output, "N", 10) },
            Node =
            {
                Gemm("0", Input, "0.weight", "0.bias", "hidden"),
                new NodeProto { Name = "1", OpType = "Relu", Input = { "hidden" }, Output = { "relu" } },
                Gemm("2", "relu", "2.weight", "2.bias", Output),
            },
        };
        graph.Initializer.AddRange(StateDictFile.Keys.Select(k => Initializer(w[k])));
        return new ModelProto
        {
            IrVersion = IrVersion,
            OpsetImport = { new OperatorSetIdProto { Domain = "", Version = Opset } },
            ProducerName = "backprop",
            ProducerVersion = producerVersion,
            DocString = "fast.ai lesson 04's nn.Sequential(nn.Linear(784, nh), nn.ReLU(), nn.Linear(nh, 10)); input: MNIST images (N, 784), byte / 256",
            Graph = graph,
        };
    }

    /// <summary>Writes the model of <paramref name="weights"/> to <paramref name="path"/> atomically.</summary>
    public static void Save(string path, IReadOnlyList<CheckpointTensor> weights, string producerVersion)
    {
        var model = Build(weights, producerVersion);
        AtomicFile.Write(path, s => model.WriteTo(s));
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
