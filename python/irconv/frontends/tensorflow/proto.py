"""TensorFlow's protobuf messages, defined here from the field numbers of TF's public .proto files
(graph.proto, node_def.proto, attr_value.proto, tensor.proto, function.proto, meta_graph.proto,
saved_model.proto, saved_object_graph.proto, trackable_object_graph.proto, tensor_bundle.proto,
saved_tensor_slice.proto) and built at run time into a private descriptor pool: no protoc, no
tensorflow import. Only the fields irconv reads are declared; everything else parses as unknown
fields (binary) or is skipped (text format), so files from newer TF versions still load.

    from irconv.frontends.tensorflow import proto
    gd = proto.GraphDef.FromString(data)
"""
from google.protobuf import descriptor_pb2, descriptor_pool

try:  # protobuf >= 4.21
    from google.protobuf.message_factory import GetMessageClass as _get_class
except ImportError:  # pragma: no cover - older protobuf
    from google.protobuf import message_factory as _mf

    def _get_class(desc, _factory=_mf.MessageFactory()):
        return _factory.GetPrototype(desc)

_PACKAGE = "irconv_tf"

# DataType values (types.proto); *_REF = value + 100.
DATA_TYPES = [
    ("DT_INVALID", 0), ("DT_FLOAT", 1), ("DT_DOUBLE", 2), ("DT_INT32", 3), ("DT_UINT8", 4), ("DT_INT16", 5),
    ("DT_INT8", 6), ("DT_STRING", 7), ("DT_COMPLEX64", 8), ("DT_INT64", 9), ("DT_BOOL", 10), ("DT_QINT8", 11),
    ("DT_QUINT8", 12), ("DT_QINT32", 13), ("DT_BFLOAT16", 14), ("DT_QINT16", 15), ("DT_QUINT16", 16),
    ("DT_UINT16", 17), ("DT_COMPLEX128", 18), ("DT_HALF", 19), ("DT_RESOURCE", 20), ("DT_VARIANT", 21),
    ("DT_UINT32", 22), ("DT_UINT64", 23), ("DT_FLOAT8_E5M2", 24), ("DT_FLOAT8_E4M3FN", 25),
    ("DT_FLOAT8_E4M3FNUZ", 26), ("DT_FLOAT8_E4M3B11FNUZ", 27), ("DT_FLOAT8_E5M2FNUZ", 28), ("DT_INT4", 29),
    ("DT_UINT4", 30), ("DT_INT2", 31), ("DT_UINT2", 32), ("DT_FLOAT4_E2M1FN", 33),
]
DT_NAME = {v: k for k, v in DATA_TYPES}

# message -> [(field, number, type[, "oneof name"])]; "*type" = repeated, "map<K,V>" = map,
# capitalized types are messages ("DataType" is the enum), nested messages are spelled "Outer.Inner".
_MESSAGES = {
    "TensorShapeProto": [("dim", 2, "*TensorShapeProto.Dim"), ("unknown_rank", 3, "bool")],
    "TensorShapeProto.Dim": [("size", 1, "int64"), ("name", 2, "string")],
    "ResourceHandleProto": [("device", 1, "string"), ("container", 2, "string"), ("name", 3, "string"),
                            ("hash_code", 4, "uint64"), ("maybe_type_name", 5, "string")],
    "TensorProto": [("dtype", 1, "DataType"), ("tensor_shape", 2, "TensorShapeProto"),
                    ("version_number", 3, "int32"), ("tensor_content", 4, "bytes"), ("half_val", 13, "*int32"),
                    ("float_val", 5, "*float"), ("double_val", 6, "*double"), ("int_val", 7, "*int32"),
                    ("string_val", 8, "*bytes"), ("scomplex_val", 9, "*float"), ("int64_val", 10, "*int64"),
                    ("bool_val", 11, "*bool"), ("dcomplex_val", 12, "*double"),
                    ("resource_handle_val", 14, "*ResourceHandleProto"), ("uint32_val", 16, "*uint32"),
                    ("uint64_val", 17, "*uint64"), ("float8_val", 18, "bytes")],
    "AttrValue": [("s", 2, "bytes", "value"), ("i", 3, "int64", "value"), ("f", 4, "float", "value"),
                  ("b", 5, "bool", "value"), ("type", 6, "DataType", "value"),
                  ("shape", 7, "TensorShapeProto", "value"), ("tensor", 8, "TensorProto", "value"),
                  ("list", 1, "AttrValue.ListValue", "value"), ("func", 10, "NameAttrList", "value"),
                  ("placeholder", 9, "string", "value")],
    "AttrValue.ListValue": [("s", 2, "*bytes"), ("i", 3, "*int64"), ("f", 4, "*float"), ("b", 5, "*bool"),
                            ("type", 6, "*DataType"), ("shape", 7, "*TensorShapeProto"),
                            ("tensor", 8, "*TensorProto"), ("func", 9, "*NameAttrList")],
    "NameAttrList": [("name", 1, "string"), ("attr", 2, "map<string,AttrValue>")],
    "NodeDef": [("name", 1, "string"), ("op", 2, "string"), ("input", 3, "*string"), ("device", 4, "string"),
                ("attr", 5, "map<string,AttrValue>")],
    "VersionDef": [("producer", 1, "int32"), ("min_consumer", 2, "int32"), ("bad_consumers", 3, "*int32")],
    "OpDef": [("name", 1, "string"), ("input_arg", 2, "*OpDef.ArgDef"), ("output_arg", 3, "*OpDef.ArgDef"),
              ("control_output", 20, "*string"), ("attr", 4, "*OpDef.AttrDef"), ("is_stateful", 17, "bool")],
    "OpDef.ArgDef": [("name", 1, "string"), ("type", 3, "DataType"), ("type_attr", 4, "string"),
                     ("number_attr", 5, "string"), ("type_list_attr", 6, "string"), ("is_ref", 16, "bool")],
    "OpDef.AttrDef": [("name", 1, "string"), ("type", 2, "string"), ("default_value", 3, "AttrValue")],
    "OpList": [("op", 1, "*OpDef")],
    "FunctionDef": [("signature", 1, "OpDef"), ("attr", 5, "map<string,AttrValue>"),
                    ("node_def", 3, "*NodeDef"), ("ret", 4, "map<string,string>"),
                    ("control_ret", 6, "map<string,string>")],
    "FunctionDefLibrary": [("function", 1, "*FunctionDef")],
    "GraphDef": [("node", 1, "*NodeDef"), ("versions", 4, "VersionDef"), ("version", 3, "int32"),
                 ("library", 2, "FunctionDefLibrary")],
    "SaverDef": [("filename_tensor_name", 1, "string"), ("save_tensor_name", 2, "string"),
                 ("restore_op_name", 3, "string"), ("sharded", 5, "bool"), ("version", 7, "int32")],
    "CollectionDef": [("node_list", 1, "CollectionDef.NodeList", "kind"),
                      ("bytes_list", 2, "CollectionDef.BytesList", "kind"),
                      ("int64_list", 3, "CollectionDef.Int64List", "kind"),
                      ("float_list", 4, "CollectionDef.FloatList", "kind")],
    "CollectionDef.NodeList": [("value", 1, "*string")],
    "CollectionDef.BytesList": [("value", 1, "*bytes")],
    "CollectionDef.Int64List": [("value", 1, "*int64")],
    "CollectionDef.FloatList": [("value", 1, "*float")],
    "TensorInfo": [("name", 1, "string", "encoding"), ("dtype", 2, "DataType"),
                   ("tensor_shape", 3, "TensorShapeProto")],
    "SignatureDef": [("inputs", 1, "map<string,TensorInfo>"), ("outputs", 2, "map<string,TensorInfo>"),
                     ("method_name", 3, "string")],
    "MetaInfoDef": [("meta_graph_version", 1, "string"), ("stripped_op_list", 2, "OpList"),
                    ("tags", 4, "*string"), ("tensorflow_version", 5, "string")],
    "ObjectReference": [("node_id", 1, "int32"), ("local_name", 2, "string")],
    "SavedVariable": [("dtype", 1, "DataType"), ("shape", 2, "TensorShapeProto"), ("name", 6, "string")],
    "SavedObject": [("children", 1, "*ObjectReference"), ("variable", 7, "SavedVariable", "kind")],
    "SavedConcreteFunction": [("bound_inputs", 2, "*int32")],
    "SavedObjectGraph": [("nodes", 1, "*SavedObject"),
                         ("concrete_functions", 2, "map<string,SavedConcreteFunction>")],
    "MetaGraphDef": [("meta_info_def", 1, "MetaInfoDef"), ("graph_def", 2, "GraphDef"),
                     ("saver_def", 3, "SaverDef"), ("collection_def", 4, "map<string,CollectionDef>"),
                     ("signature_def", 5, "map<string,SignatureDef>"),
                     ("object_graph_def", 7, "SavedObjectGraph")],
    "SavedModel": [("saved_model_schema_version", 1, "int64"), ("meta_graphs", 2, "*MetaGraphDef")],
    # variable.proto: the "variables" collection of a MetaGraph holds serialized VariableDefs
    "SaveSliceInfoDef": [("full_name", 1, "string"), ("full_shape", 2, "*int64"), ("var_offset", 3, "*int64"),
                         ("var_shape", 4, "*int64")],
    "VariableDef": [("variable_name", 1, "string"), ("initial_value_name", 6, "string"),
                    ("initializer_name", 2, "string"), ("snapshot_name", 3, "string"),
                    ("save_slice_info_def", 4, "SaveSliceInfoDef"), ("is_resource", 5, "bool")],
    # checkpoints
    "TensorSliceProto": [("extent", 1, "*TensorSliceProto.Extent")],
    "TensorSliceProto.Extent": [("start", 1, "int64"), ("length", 2, "int64", "has_length")],
    "BundleHeaderProto": [("num_shards", 1, "int32"), ("endianness", 2, "int32"), ("version", 3, "VersionDef")],
    "BundleEntryProto": [("dtype", 1, "DataType"), ("shape", 2, "TensorShapeProto"), ("shard_id", 3, "int32"),
                         ("offset", 4, "int64"), ("size", 5, "int64"), ("crc32c", 6, "fixed32"),
                         ("slices", 7, "*TensorSliceProto")],
    "SavedSliceMeta": [("name", 1, "string"), ("shape", 2, "TensorShapeProto"), ("type", 3, "DataType"),
                       ("slice", 4, "*TensorSliceProto")],
    "SavedTensorSliceMeta": [("tensor", 1, "*SavedSliceMeta"), ("versions", 2, "VersionDef")],
    "SavedSlice": [("name", 1, "string"), ("slice", 2, "TensorSliceProto"), ("data", 3, "TensorProto")],
    "SavedTensorSlices": [("meta", 1, "SavedTensorSliceMeta"), ("data", 2, "SavedSlice")],
    "SerializedTensor": [("name", 1, "string"), ("full_name", 2, "string"), ("checkpoint_key", 3, "string")],
    "TrackableObject": [("children", 1, "*ObjectReference"), ("attributes", 2, "*SerializedTensor")],
    "TrackableObjectGraph": [("nodes", 1, "*TrackableObject")],
    "CheckpointState": [("model_checkpoint_path", 1, "string"), ("all_model_checkpoint_paths", 2, "*string")],
}

_F = descriptor_pb2.FieldDescriptorProto
_SCALARS = {
    "int64": _F.TYPE_INT64, "int32": _F.TYPE_INT32, "uint32": _F.TYPE_UINT32, "uint64": _F.TYPE_UINT64,
    "float": _F.TYPE_FLOAT, "double": _F.TYPE_DOUBLE, "bool": _F.TYPE_BOOL, "string": _F.TYPE_STRING,
    "bytes": _F.TYPE_BYTES, "fixed32": _F.TYPE_FIXED32, "fixed64": _F.TYPE_FIXED64,
}


def _camel(name):
    return "".join(p[:1].upper() + p[1:] for p in name.split("_"))


def _set_type(fd, typ):
    if typ in _SCALARS:
        fd.type = _SCALARS[typ]
    elif typ == "DataType":
        fd.type = _F.TYPE_ENUM
        fd.type_name = ".%s.DataType" % _PACKAGE
    else:
        fd.type = _F.TYPE_MESSAGE
        fd.type_name = ".%s.%s" % (_PACKAGE, typ)


def _build_message(name, fields, nested):
    short = name.rsplit(".", 1)[-1]
    m = descriptor_pb2.DescriptorProto(name=short)
    oneofs = []
    for spec in fields:
        fname, number, typ = spec[:3]
        oneof = spec[3] if len(spec) > 3 else None
        fd = m.field.add(name=fname, number=number)
        if typ.startswith("map<"):
            k, v = typ[4:-1].split(",")
            entry = m.nested_type.add(name=_camel(fname) + "Entry")
            entry.options.map_entry = True
            kf = entry.field.add(name="key", number=1, label=_F.LABEL_OPTIONAL)
            _set_type(kf, k)
            vf = entry.field.add(name="value", number=2, label=_F.LABEL_OPTIONAL)
            _set_type(vf, v)
            fd.label = _F.LABEL_REPEATED
            fd.type = _F.TYPE_MESSAGE
            fd.type_name = ".%s.%s.%s" % (_PACKAGE, name, entry.name)
            continue
        if typ.startswith("*"):
            fd.label = _F.LABEL_REPEATED
            typ = typ[1:]
        else:
            fd.label = _F.LABEL_OPTIONAL
        _set_type(fd, typ)
        if oneof is not None:
            if oneof not in oneofs:
                oneofs.append(oneof)
                m.oneof_decl.add(name=oneof)
            fd.oneof_index = oneofs.index(oneof)
    for child in nested:
        m.nested_type.add().CopyFrom(child)
    return m


def _build():
    fdp = descriptor_pb2.FileDescriptorProto(name="irconv_tf.proto", package=_PACKAGE, syntax="proto3")
    enum = fdp.enum_type.add(name="DataType")
    for n, v in DATA_TYPES:
        enum.value.add(name=n, number=v)
    for n, v in DATA_TYPES[1:]:
        enum.value.add(name=n + "_REF", number=v + 100)
    # build nested messages bottom-up
    built = {}
    for name in sorted(_MESSAGES, key=lambda s: -s.count(".")):
        children = [built.pop(c) for c in list(built) if c.rsplit(".", 1)[0] == name]
        built[name] = _build_message(name, _MESSAGES[name], children)
    for name in sorted(built):
        fdp.message_type.add().CopyFrom(built[name])
    pool = descriptor_pool.DescriptorPool()
    fd = pool.Add(fdp) if hasattr(pool, "Add") else None
    del fd
    file_desc = pool.FindFileByName("irconv_tf.proto")
    classes = {}
    for name in _MESSAGES:
        classes[name] = _get_class(pool.FindMessageTypeByName("%s.%s" % (_PACKAGE, name)))
    return pool, file_desc, classes


POOL, _FILE, _CLASSES = _build()

TensorShapeProto = _CLASSES["TensorShapeProto"]
TensorProto = _CLASSES["TensorProto"]
AttrValue = _CLASSES["AttrValue"]
NameAttrList = _CLASSES["NameAttrList"]
NodeDef = _CLASSES["NodeDef"]
OpDef = _CLASSES["OpDef"]
OpList = _CLASSES["OpList"]
FunctionDef = _CLASSES["FunctionDef"]
FunctionDefLibrary = _CLASSES["FunctionDefLibrary"]
GraphDef = _CLASSES["GraphDef"]
SaverDef = _CLASSES["SaverDef"]
CollectionDef = _CLASSES["CollectionDef"]
TensorInfo = _CLASSES["TensorInfo"]
SignatureDef = _CLASSES["SignatureDef"]
MetaGraphDef = _CLASSES["MetaGraphDef"]
SavedModel = _CLASSES["SavedModel"]
SavedObjectGraph = _CLASSES["SavedObjectGraph"]
VariableDef = _CLASSES["VariableDef"]
TensorSliceProto = _CLASSES["TensorSliceProto"]
BundleHeaderProto = _CLASSES["BundleHeaderProto"]
BundleEntryProto = _CLASSES["BundleEntryProto"]
SavedTensorSlices = _CLASSES["SavedTensorSlices"]
TrackableObjectGraph = _CLASSES["TrackableObjectGraph"]
CheckpointState = _CLASSES["CheckpointState"]


def parse_text(cls, text, what):
    """Text-format message (unknown fields and extensions skipped). Raises ValueError-like
    protobuf errors; callers wrap them into IrconvError with the file name."""
    from google.protobuf import text_format  # noqa: PLC0415
    msg = cls()
    try:
        text_format.Parse(text, msg, allow_unknown_field=True, allow_unknown_extension=True,
                          descriptor_pool=POOL)
    except TypeError:  # pragma: no cover - protobuf without allow_unknown_field
        text_format.Parse(text, msg, allow_unknown_extension=True)
    return msg
