using Google.Protobuf;
using Onnx;

namespace Backprop.Tests.Cli.Runs;

/// <summary>
/// The test suite's ONNX interpreter on graphs small enough to work out by hand from the ONNX specification (the
/// exported model itself is run in <see cref="ExportTests"/>).
/// </summary>
public sealed class OnnxInterpreterTests
{
    private static ModelProto Model(params NodeProto[] nodes)
    {
        var graph = new GraphProto
        {
            Input = { new ValueInfoProto { Name = "x", Type = FloatMatrix(3, 2) } },
            Output = { new ValueInfoProto { Name = "y" } },
            Initializer =
            {
                new TensorProto { Name = "b", DataType = (int)TensorProto.Types.DataType.Float, Dims = { 3, 2 }, FloatData = { 1, 0, 0, 1, 1, 1 } },
                // C as raw little-endian float32, the other way an initializer may hold its values: [-40, 40].
                new TensorProto { Name = "c", DataType = (int)TensorProto.Types.DataType.Float, Dims = { 2 }, RawData = ByteString.CopyFrom([0, 0, 0x20, 0xC2, 0, 0, 0x20, 0x42]) },
            },
        };
        graph.Node.AddRange(nodes);
        return new ModelProto { IrVersion = 7, OpsetImport = { new OperatorSetIdProto { Version = 13 } }, Graph = graph };
    }

    private static TypeProto FloatMatrix(long rows, long cols) => new()
    {
        TensorType = new TypeProto.Types.Tensor
        {
            ElemType = (int)TensorProto.Types.DataType.Float,
            Shape = new TensorShapeProto { Dim = { new TensorShapeProto.Types.Dimension { DimValue = rows }, new TensorShapeProto.Types.Dimension { DimValue = cols } } },
        },
    };

    private static NodeProto Gemm() => new()
    {
        Name = "gemm",
        OpType = "Gemm",
        Input = { "x", "b", "c" },
        Output = { "h" },
        Attribute =
        {
            new AttributeProto { Name = "alpha", Type = AttributeProto.Types.AttributeType.Float, F = 2 },
            new AttributeProto { Name = "beta", Type = AttributeProto.Types.AttributeType.Float, F = 0.5f },
            new AttributeProto { Name = "transA", Type = AttributeProto.Types.AttributeType.Int, I = 1 },
        },
    };

    private static NodeProto Op(string type) => new() { Name = "act", OpType = type, Input = { "h" }, Output = { "y" } };

    private static readonly OnnxInterpreter.Value X = new([3, 2], [1, 2, 3, 4, 5, 6]);

    [Fact]
    public void Gemm_with_alpha_beta_and_transA_then_Relu_follow_the_specification()
    {
        // A' = Xᵀ = [[1, 3, 5], [2, 4, 6]]; A'·B = [[6, 8], [8, 10]]; 2·A'·B + 0.5·[-40, 40] = [[-8, 36], [-4, 40]]; Relu.
        var y = new OnnxInterpreter(Model(Gemm(), Op("Relu"))).Run(X);

        Assert.Equal([2, 2], y.Shape);
        Assert.Equal([0, 36, 0, 40], y.Data);
    }

    [Fact]
    public void An_operator_the_exporter_does_not_emit_is_refused_by_name()
    {
        var e = Assert.Throws<NotSupportedException>(() => new OnnxInterpreter(Model(Gemm(), Op("Sigmoid"))).Run(X));

        Assert.Contains("operator Sigmoid", e.Message);
    }

    [Fact]
    public void An_input_of_another_shape_than_declared_is_refused()
    {
        var e = Assert.Throws<ArgumentException>(() => new OnnxInterpreter(Model(Gemm(), Op("Relu"))).Run(new OnnxInterpreter.Value([2, 3], X.Data)));

        Assert.Contains("declared (3, 2), given (2, 3)", e.Message);
    }
}
